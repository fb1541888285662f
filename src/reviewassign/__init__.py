"""reviewassign: assign cases to reviewer panels, with a proven optimum.

Conflicts of interest, panel composition rules (regions, genders, seniority, languages,
expertise coverage) and reviewer loads are hard rules; the objective is the total or the
worst panel affinity, less a load-spread penalty.

Examples
--------
>>> import reviewassign as ra
>>> problem = ra.Problem(
...     cases=[ra.Case(id="C1", region="Africa", topics={"t1": 1})],
...     reviewers=[ra.Reviewer(id=f"R{i}", region=g, expertise={"t1": 2})
...                for i, g in enumerate(["Africa", "Arab States", "Europe and North America"])],
... )
>>> policy = ra.Policy(panel_size=2, panel={"own_region": "exclude"})
>>> result = ra.solve(problem, policy)
>>> result.assignment["C1"]
('R1', 'R2')
>>> ra.check(problem, policy, result.assignment)
[]
"""

from ._audit.verify import Verification, export_anonymous, verify
from ._data.events import Event
from ._data.model import (
    Affinity,
    Case,
    Conflict,
    Disjoint,
    HistorySeat,
    Linked,
    PrefersNot,
    Problem,
    Relation,
    Reviewer,
)
from ._data.policy import (
    AttributeBand,
    AttributeRule,
    AttributesPolicy,
    ConflictPolicy,
    ExpertisePolicy,
    HistoryPolicy,
    IntegrityPolicy,
    LoadPolicy,
    ObjectivePolicy,
    PanelPolicy,
    Policy,
    RandomPolicy,
    RelaxPolicy,
    RepresentationPolicy,
)
from ._data.result import Assignment, Level, Phase, Progress, Result, Stats, Status
from ._data.table import AffinityTable
from ._errors import (
    InfeasibleError,
    InputError,
    NoSolutionError,
    ReviewAssignError,
    SolverError,
    ViolationsError,
)
from ._files.io import (
    load_assignment,
    load_events,
    load_locked,
    load_policy,
    load_problem,
    save_problem,
    save_result,
)
from ._lab.compare import Comparison, ComparisonRow, compare
from ._lab.sweep import SweepResult, SweepTask, grid, sweep
from ._reduce.conflicts import ConflictPair, conflicts
from ._spec.check import Metrics, Violation, check, evaluate
from ._version import __version__
from ._workflows.alternates import Alternate
from ._workflows.explain import Explanation, Reason, Relaxation, explain
from ._workflows.random import Lottery, randomize
from ._workflows.repair import Repair, repair
from ._workflows.solve import solve

__all__ = [
    "Affinity",
    "AffinityTable",
    "Alternate",
    "Assignment",
    "AttributeBand",
    "AttributeRule",
    "AttributesPolicy",
    "Case",
    "Comparison",
    "ComparisonRow",
    "Conflict",
    "ConflictPair",
    "ConflictPolicy",
    "Disjoint",
    "Event",
    "ExpertisePolicy",
    "Explanation",
    "HistoryPolicy",
    "HistorySeat",
    "InfeasibleError",
    "InputError",
    "IntegrityPolicy",
    "Level",
    "Linked",
    "LoadPolicy",
    "Lottery",
    "Metrics",
    "NoSolutionError",
    "ObjectivePolicy",
    "PanelPolicy",
    "Phase",
    "Policy",
    "PrefersNot",
    "Problem",
    "Progress",
    "RandomPolicy",
    "Reason",
    "Relation",
    "RelaxPolicy",
    "Relaxation",
    "Repair",
    "RepresentationPolicy",
    "Result",
    "ReviewAssignError",
    "Reviewer",
    "SolverError",
    "Stats",
    "Status",
    "SweepResult",
    "SweepTask",
    "Verification",
    "Violation",
    "ViolationsError",
    "__version__",
    "check",
    "compare",
    "conflicts",
    "evaluate",
    "explain",
    "export_anonymous",
    "grid",
    "load_assignment",
    "load_events",
    "load_locked",
    "load_policy",
    "load_problem",
    "randomize",
    "repair",
    "save_problem",
    "save_result",
    "solve",
    "sweep",
    "verify",
]
