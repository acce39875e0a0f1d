"""GET /api/v1/buildings/{id}/grid/: the 楼盘表 the building's page shows (`building_grid`), laid out by unit,
then floor (top first, the 其他 row last), then room; each room with its occupants' masked numbers only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.registry.building_grid import BuildingGrid, Marker, Occupancy
from jiedao.registry.choices import HouseRelation, HouseUse, VisitResult


def _values_help(choices) -> str:
    return "；".join(f"{value} {label}" for value, label in choices.choices)


class GridOccupantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person_id", help_text="人员编号（/api/v1/persons/{id}/）")
    name = serializers.CharField(label="姓名")
    id_number_masked = serializers.CharField(label="证件号码（打码）")
    phone_masked = serializers.CharField(label="联系电话（打码）", help_text="未登记电话时为空字符串")
    house_relation = serializers.CharField(help_text=_values_help(HouseRelation))
    house_relation_display = serializers.CharField(label="与房屋关系")


class GridMarkSerializer(serializers.Serializer):
    marker = serializers.CharField(help_text=_values_help(Marker))
    label = serializers.CharField(source="marker.label")
    count = serializers.IntegerField(help_text="人数")


class GridRoomSerializer(serializers.Serializer):
    house = serializers.IntegerField(source="house_id", help_text="房屋编号（/api/v1/houses/{id}/）")
    full_address = serializers.CharField(label="地址")
    unit = serializers.CharField(label="单元")
    room = serializers.CharField(label="室号")
    use = serializers.CharField(help_text=_values_help(HouseUse))
    use_display = serializers.SerializerMethodField(label="用途")
    is_rented = serializers.BooleanField(label="出租")
    occupancy = serializers.CharField(
        help_text="楼盘表显示的状态：" + _values_help(Occupancy) + "（登记了承租人的房屋也算出租）"
    )
    occupancy_display = serializers.CharField(source="occupancy.label")
    residents = serializers.IntegerField(help_text="现居住人数（不含已迁出、已死亡、已合并的人员）")
    unregistered_rental = serializers.BooleanField(
        help_text="出租无人登记：出租（或用途为出租）而无人登记现居住，需上门核实；商用房屋不计"
    )
    visit_due = serializers.BooleanField(
        allow_null=True,
        help_text="待核查：与网页“待核查房屋”同一规则——从未核查、最近一次核查早于"
        "系统参数 registry.visit_interval_days 天前，或上次无人应门；没有入户核查查看权限时为 null",
    )
    last_visited_on = serializers.DateField(
        allow_null=True, help_text="最近一次入户核查的日期；从未核查或没有入户核查查看权限时为 null"
    )
    last_visit_result = serializers.CharField(
        allow_null=True,
        help_text="最近一次入户核查的结果："
        + _values_help(VisitResult)
        + "；从未核查或没有入户核查查看权限时为 null",
    )
    marks = GridMarkSerializer(
        many=True, help_text="需要关注的人员标记及人数，只含您有权查看的特殊人群与流动人口"
    )
    occupants = GridOccupantSerializer(
        many=True,
        help_text="现居住人员，证件号码与电话只返回打码值；没有人员查看权限时为空（residents 仍为人数）",
    )

    def get_use_display(self, room) -> str:
        return str(dict(HouseUse.choices).get(room.use, room.use))


class GridFloorSerializer(serializers.Serializer):
    floor = serializers.IntegerField(
        allow_null=True, help_text="楼层（由室号得出，如 1203 为 12）；null 为“其他”行：看不出楼层的房屋"
    )
    rooms = GridRoomSerializer(many=True)


class GridUnitSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="单元；空字符串为未分单元的房屋")
    floors = GridFloorSerializer(
        many=True, help_text="自顶层向下，每层一项（无房屋时 rooms 为空），“其他”行在最后"
    )


class GridSummarySerializer(serializers.Serializer):
    rooms = serializers.IntegerField(label="房屋")
    occupied = serializers.IntegerField(label="有人居住")
    rented = serializers.IntegerField(label="出租")
    vacant = serializers.IntegerField(label="空置")
    commercial = serializers.IntegerField(label="商用")
    residents = serializers.IntegerField(label="现居住人数")
    migrants = serializers.IntegerField(label="流动人口")
    unregistered_rentals = serializers.IntegerField(label="出租无人登记")
    visit_due = serializers.IntegerField(
        allow_null=True,
        help_text="待核查的房屋数（rooms 中 visit_due 为 true 的个数）；没有入户核查查看权限时为 null",
    )
    marked = serializers.SerializerMethodField(help_text="各类人员标记的人数（您有权查看的标记）")

    @extend_schema_field(GridMarkSerializer(many=True))
    def get_marked(self, summary):
        return GridMarkSerializer(
            [{"marker": marker, "count": count} for marker, count in summary.marked.items()], many=True
        ).data


class BuildingGridSerializer(serializers.Serializer):
    building = serializers.IntegerField(source="building.pk", help_text="楼栋编号")
    building_name = serializers.CharField(source="building.__str__", label="楼栋")
    floors = serializers.IntegerField(source="building.floors", allow_null=True, label="层数")
    org = serializers.IntegerField(source="building.org_id", label="所属社区/网格")
    units = serializers.SerializerMethodField(help_text="按单元、楼层、房屋排列，与楼栋页面的楼盘表相同")
    summary = GridSummarySerializer(label="概况")

    @extend_schema_field(GridUnitSerializer(many=True))
    def get_units(self, grid: BuildingGrid):
        units = [
            {"unit": unit, "floors": [{"floor": row.floor, "rooms": row.cells[index]} for row in grid.rows]}
            for index, unit in enumerate(grid.units)
        ]
        return GridUnitSerializer(units, many=True).data
