// 办件统计: the chart of 收件量 (bars) and 办结量 (line) by month (ECharts). The figures come from the page
// ({{ chart_data|json_script:"stats-data" }}); the 按月份 table below carries the same numbers for screen
// readers and browsers without JavaScript, so the chart is aria-hidden and shown only once drawn.
(function () {
  "use strict";

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  ready(function () {
    var source = document.getElementById("stats-data");
    var element = document.querySelector('[data-chart="months"]');
    if (!source || !element || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var wrapper = element.closest("[data-chart-wrapper]");
    if (wrapper) wrapper.classList.remove("d-none");
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { containLabel: true, left: 8, right: 16, top: 36, bottom: 8 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.months, axisLabel: { interval: 0, rotate: data.months.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: labels.count, minInterval: 1 },
      series: [
        { name: labels.received, type: "bar", data: data.received },
        { name: labels.concluded, type: "line", data: data.concluded },
      ],
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  });
})();
