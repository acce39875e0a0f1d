"""Registry services: every write to persons, households, houses, enterprises, migrants and tags."""

from jiedao.registry.services.enterprises import EnterpriseData, enterprise_create, enterprise_update  # noqa: F401
from jiedao.registry.services.households import (  # noqa: F401
    household_add_member,
    household_change_head,
    household_create,
    household_merge,
    household_remove_member,
    household_split,
    household_update,
)
from jiedao.registry.services.houses import (  # noqa: F401
    BuildingData,
    HouseData,
    building_create,
    building_update,
    house_create,
    house_full_address,
    house_update,
)
from jiedao.registry.services.persons import (  # noqa: F401
    MigrantData,
    PersonData,
    migrant_register,
    person_change_address,
    person_create,
    person_move_in,
    person_move_out,
    person_register_birth,
    person_register_death,
    person_reveal,
    person_update,
    tag_add,
    tag_end,
    tag_renew,
)
from jiedao.registry.services.visits import VisitData, house_visit_record  # noqa: F401
