"""A compact way to write BPMN documents in tests (and to lay out the shipped processes): elements and
flows are declared in Python and written out as BPMN 2.0 XML with a simple left-to-right diagram."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "boundaryEvent": (36, 36),
    "intermediateCatchEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
    "inclusiveGateway": (50, 50),
}
DEFAULT_SIZE = (100, 80)


@dataclass
class _Node:
    id: str
    type: str
    name: str = ""
    attrs: dict = field(default_factory=dict)
    inner: str = ""


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


class Bpmn:
    def __init__(self, process_id: str, name: str = ""):
        self.process_id, self.name = process_id, name or process_id
        self.nodes: dict[str, _Node] = {}
        self.flows: list[_Flow] = []
        self.defaults: dict[str, str] = {}

    # --- elements ---------------------------------------------------------------------------------

    def _add(self, node_id, kind, name="", inner="", **attrs) -> Bpmn:
        self.nodes[node_id] = _Node(
            node_id, kind, name, {k: v for k, v in attrs.items() if v is not None}, inner
        )
        return self

    def start(self, node_id="start", name="", form=None) -> Bpmn:
        return self._add(node_id, "startEvent", name, **{"camunda:formKey": form})

    def end(self, node_id="end", name="", terminate=False) -> Bpmn:
        inner = "<bpmn:terminateEventDefinition/>" if terminate else ""
        return self._add(node_id, "endEvent", name, inner)

    def user(
        self,
        node_id,
        name="",
        *,
        assignee=None,
        users=None,
        groups=None,
        form=None,
        due_working_days=None,
        due_hours=None,
        countersign=None,
        sequential=False,
        extensions="",
    ) -> Bpmn:
        inner = extensions
        if countersign is not None:
            seq = ' isSequential="true"' if sequential else ""
            inner += f"<bpmn:multiInstanceLoopCharacteristics{seq}/>"
        return self._add(
            node_id,
            "userTask",
            name,
            inner,
            **{
                "camunda:assignee": assignee,
                "camunda:candidateUsers": users,
                "camunda:candidateGroups": groups,
                "camunda:formKey": form,
                "jiedao:dueWorkingDays": None if due_working_days is None else str(due_working_days),
                "jiedao:dueHours": None if due_hours is None else str(due_hours),
                "jiedao:completion": countersign,
            },
        )

    def service(self, node_id, element_name="", /, *, action=None, **params) -> Bpmn:
        props = "".join(
            f"<camunda:property name={quoteattr(k)} value={quoteattr(str(v))}/>" for k, v in params.items()
        )
        inner = f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"
        return self._add(
            node_id, "serviceTask", element_name, inner if params else "", **{"jiedao:action": action}
        )

    def script(self, node_id, name="", script="x = 1") -> Bpmn:
        return self._add(node_id, "scriptTask", name, f"<bpmn:script>{escape(script)}</bpmn:script>")

    def task(self, node_id, name="") -> Bpmn:
        return self._add(node_id, "task", name)

    def gateway(self, node_id, kind="exclusive", name="", default=None) -> Bpmn:
        if default:
            self.defaults[node_id] = default
        return self._add(node_id, f"{kind}Gateway", name)

    def timer(
        self,
        node_id,
        attached_to,
        name="",
        *,
        duration=None,
        working_days=None,
        date=None,
        interrupting=True,
    ) -> Bpmn:
        if working_days is not None:
            inner = f'<bpmn:timerEventDefinition jiedao:workingDays="{working_days}"/>'
        elif date is not None:
            inner = f"<bpmn:timerEventDefinition><bpmn:timeDate>{date}</bpmn:timeDate></bpmn:timerEventDefinition>"
        else:
            inner = (
                f"<bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration>"
                "</bpmn:timerEventDefinition>"
            )
        return self._add(
            node_id,
            "boundaryEvent",
            name,
            inner,
            attachedToRef=attached_to,
            cancelActivity="true" if interrupting else "false",
        )

    def flow(self, source, target, condition=None, flow_id=None, name="") -> Bpmn:
        flow_id = flow_id or f"flow_{source}_{target}"
        self.flows.append(_Flow(flow_id, source, target, condition, name))
        return self

    def chain(self, *ids) -> Bpmn:
        for source, target in zip(ids, ids[1:], strict=False):
            self.flow(source, target)
        return self

    # --- output -----------------------------------------------------------------------------------

    def _layout(self) -> dict[str, tuple[float, float]]:
        order = list(self.nodes)
        layer = {n: 0 for n in order}
        starts = [n for n in order if self.nodes[n].type == "startEvent"] or order[:1]

        # Longest path over forward edges (edges that go back to a visited node are ignored).
        def visit(node, seen: set[str], visiting: set[str]) -> bool:
            changed = False
            visiting.add(node)
            for flow in [f for f in self.flows if f.source == node]:
                if flow.target in visiting:
                    continue
                if layer[flow.target] < layer[node] + 1:
                    layer[flow.target] = layer[node] + 1
                    changed = True
                if flow.target not in seen:
                    seen.add(flow.target)
                    changed |= visit(flow.target, seen, visiting)
            for boundary in [n for n in self.nodes.values() if n.attrs.get("attachedToRef") == node]:
                if layer[boundary.id] != layer[node]:
                    layer[boundary.id] = layer[node]
                    changed = True
                if boundary.id not in seen:
                    seen.add(boundary.id)
                    changed |= visit(boundary.id, seen, visiting)
            visiting.discard(node)
            return changed

        for _round in range(len(order)):
            changed = False
            for start in starts:
                changed |= visit(start, set(), set())
            if not changed:
                break
        rows: dict[int, int] = {}
        positions = {}
        for node_id in order:
            node = self.nodes[node_id]
            width, height = SIZES.get(node.type, DEFAULT_SIZE)
            if node.type == "boundaryEvent":
                continue
            column = layer[node_id]
            row = rows.get(column, 0)
            rows[column] = row + 1
            cx, cy = 120 + column * 170, 140 + row * 150
            positions[node_id] = (cx - width / 2, cy - height / 2)
        for node_id in order:
            node = self.nodes[node_id]
            if node.type == "boundaryEvent":
                host = node.attrs["attachedToRef"]
                hx, hy = positions[host]
                hw, hh = SIZES.get(self.nodes[host].type, DEFAULT_SIZE)
                positions[node_id] = (hx + hw - 36, hy + hh - 18)
        # Targets of boundary flows go below their host's row.
        for flow in self.flows:
            if self.nodes[flow.source].type == "boundaryEvent":
                sx, sy = positions[flow.source]
                tx, ty = positions[flow.target]
                if abs(ty - sy) < 40:
                    positions[flow.target] = (tx, ty + 130)
        return positions

    def _skips(self, flow, positions) -> bool:
        """Does another element sit on the straight line between the flow's ends?"""
        sx, sy = positions[flow.source]
        tx, _ty = positions[flow.target]
        for node_id, (x, y) in positions.items():
            if node_id in (flow.source, flow.target) or self.nodes[node_id].type == "boundaryEvent":
                continue
            width, height = SIZES.get(self.nodes[node_id].type, DEFAULT_SIZE)
            middle = sy + SIZES.get(self.nodes[flow.source].type, DEFAULT_SIZE)[1] / 2
            if sx < x < tx and y <= middle <= y + height:
                return True
        return False

    def xml(self) -> str:
        positions = self._layout()
        parts = []
        for node in self.nodes.values():
            attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in node.attrs.items())
            default = self.defaults.get(node.id)
            if default:
                attrs += f' default="{default}"'
            name = f" name={quoteattr(node.name)}" if node.name else ""
            parts.append(
                f'    <bpmn:{node.type} id="{node.id}"{name} {attrs}>{node.inner}</bpmn:{node.type}>'
            )
        for flow in self.flows:
            name = f" name={quoteattr(flow.name)}" if flow.name else ""
            cond = (
                f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(flow.condition)}</bpmn:conditionExpression>'
                if flow.condition
                else ""
            )
            parts.append(
                f'    <bpmn:sequenceFlow id="{flow.id}"{name} sourceRef="{flow.source}" targetRef="{flow.target}">'
                f"{cond}</bpmn:sequenceFlow>"
            )
        shapes = []
        for node in self.nodes.values():
            x, y = positions[node.id]
            width, height = SIZES.get(node.type, DEFAULT_SIZE)
            marker = ' isMarkerVisible="true"' if node.type == "exclusiveGateway" else ""
            shapes.append(
                f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{marker}>'
                f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{width}" height="{height}"/></bpmndi:BPMNShape>'
            )
        for flow in self.flows:
            sx, sy = positions[flow.source]
            sw, sh = SIZES.get(self.nodes[flow.source].type, DEFAULT_SIZE)
            tx, ty = positions[flow.target]
            tw, th = SIZES.get(self.nodes[flow.target].type, DEFAULT_SIZE)
            if self.nodes[flow.source].type == "boundaryEvent":
                start = (sx + sw / 2, sy + sh)
                points = [start, (start[0], ty + th / 2), (tx, ty + th / 2)]
            else:
                start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
                if end[0] <= start[0]:  # a flow going back: route above
                    top = min(sy, ty) - 40
                    points = [
                        (sx + sw / 2, sy),
                        (sx + sw / 2, top),
                        (tx + tw / 2, top),
                        (tx + tw / 2, ty),
                    ]
                elif abs(end[1] - start[1]) < 1 and self._skips(flow, positions):
                    # A flow over the elements between its ends: route it above them.
                    top = sy - 30
                    points = [(sx + sw / 2, sy), (sx + sw / 2, top), (tx + tw / 2, top), (tx + tw / 2, ty)]
                elif abs(end[1] - start[1]) < 1:
                    points = [start, end]
                else:
                    mid = (start[0] + end[0]) / 2
                    points = [start, (mid, start[1]), (mid, end[1]), end]
            waypoints = "".join(f'<di:waypoint x="{px:.0f}" y="{py:.0f}"/>' for px, py in points)
            shapes.append(
                f'      <bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">{waypoints}</bpmndi:BPMNEdge>'
            )
        body = "\n".join(parts)
        diagram = "\n".join(shapes)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:jiedao="http://jiedao.org.cn/schema/bpmn/1.0"
  id="Definitions_{self.process_id}" targetNamespace="http://jiedao.org.cn/bpmn">
  <bpmn:process id="{self.process_id}" name={quoteattr(self.name)} isExecutable="true">
{body}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{self.process_id}">
    <bpmndi:BPMNPlane id="Plane_{self.process_id}" bpmnElement="{self.process_id}">
{diagram}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
