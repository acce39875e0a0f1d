// Population statistics charts (ECharts). The figures come from the page itself
// ({{ data|json_script:"stats-data" }}); the tables under each chart carry the same numbers for screen
// readers and for browsers without JavaScript, so the charts are aria-hidden.
(function () {
  "use strict";

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function abs(value) {
    return Math.abs(Number(value) || 0);
  }

  ready(function () {
    var source = document.getElementById("stats-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var charts = [];

    function draw(name, option) {
      var element = document.querySelector('[data-chart="' + name + '"]');
      if (!element) return;
      var wrapper = element.closest("[data-chart-wrapper]");
      if (wrapper) wrapper.classList.remove("d-none");
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(Object.assign({ animation: false, grid: { containLabel: true, left: 8, right: 16, top: 36, bottom: 8 } }, option));
      charts.push(chart);
    }

    var rows = data.by_grid && data.by_grid.length ? data.by_grid : data.by_community;
    draw("community", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      xAxis: {
        type: "category",
        data: rows.map(function (row) { return row.name; }),
        axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 },
      },
      yAxis: { type: "value", name: labels.people },
      series: [
        { name: labels.local, type: "bar", stack: "people", data: rows.map(function (row) { return row.count - row.migrants; }) },
        { name: labels.migrants, type: "bar", stack: "people", data: rows.map(function (row) { return row.migrants; }) },
      ],
    });

    var residence = labels.residence || {};
    draw("residence", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      xAxis: {
        type: "category",
        data: rows.map(function (row) { return row.name; }),
        axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 },
      },
      yAxis: { type: "value", name: labels.people },
      series: Object.keys(residence).map(function (split) {
        return {
          name: residence[split],
          type: "bar",
          stack: "residence",
          data: rows.map(function (row) { return row.residence ? row.residence[split] : 0; }),
        };
      }),
    });

    var pyramid = data.pyramid;
    draw("pyramid", {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: abs,
      },
      legend: { top: 0 },
      xAxis: { type: "value", axisLabel: { formatter: abs } },
      yAxis: { type: "category", data: pyramid.bands, axisTick: { show: false } },
      series: [
        {
          name: labels.male,
          type: "bar",
          stack: "pyramid",
          barCategoryGap: "10%",
          data: pyramid.male.map(function (n) { return -n; }),
        },
        { name: labels.female, type: "bar", stack: "pyramid", barCategoryGap: "10%", data: pyramid.female },
      ],
    });

    draw("households", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: {
        type: "category",
        data: data.households.sizes.map(function (size) { return size + (labels.members || ""); }),
      },
      yAxis: { type: "value", name: labels.households },
      series: [{ name: labels.households, type: "bar", data: data.households.counts, label: { show: true, position: "top" } }],
    });

    var origins = data.migrants.origins.slice().reverse();
    draw("origins", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", name: labels.people },
      yAxis: { type: "category", data: origins.map(function (row) { return row.name; }) },
      series: [{ name: labels.migrants, type: "bar", data: origins.map(function (row) { return row.count; }), label: { show: true, position: "right" } }],
    });

    var groups = data.special_groups;
    draw("groups", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: groups.map(function (row) { return row.label; }), axisLabel: { interval: 0 } },
      yAxis: { type: "value", name: labels.people },
      series: [{ name: labels.count, type: "bar", data: groups.map(function (row) { return row.count; }), label: { show: true, position: "top" } }],
    });

    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  });
})();
