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

from ._alternates import Alternate
from ._check import Metrics, Violation, check, evaluate
from ._compare import Comparison, ComparisonRow, compare
from ._conflicts import ConflictPair, conflicts
from ._errors import (
    InfeasibleError,
    InputError,
    NoSolutionError,
    ReviewAssignError,
    SolverError,
    ViolationsError,
)
from ._explain import Explanation, Reason, Relaxation, explain
from ._io import (
    load_assignment,
    load_events,
    load_locked,
    load_policy,
    load_problem,
    save_problem,
    save_result,
)
from ._model import Affinity, Case, Conflict, Problem, Relation, Reviewer
from ._policy import (
    ConflictPolicy,
    ExpertisePolicy,
    IntegrityPolicy,
    LoadPolicy,
    ObjectivePolicy,
    PanelPolicy,
    Policy,
    RandomPolicy,
    RelaxPolicy,
    RepresentationPolicy,
)
from ._random import Lottery, randomize
from ._repair import Event, Repair, repair
from ._result import Assignment, Level, Phase, Progress, Result, Stats, Status
from ._solve import solve
from ._sweep import SweepResult, SweepTask, grid, sweep
from ._table import AffinityTable
from ._trust import Verification, export_anonymous, verify
from ._version import __version__

__all__ = [
    "Affinity",
    "AffinityTable",
    "Alternate",
    "Assignment",
    "Case",
    "Comparison",
    "ComparisonRow",
    "Conflict",
    "ConflictPair",
    "ConflictPolicy",
    "Event",
    "ExpertisePolicy",
    "Explanation",
    "InfeasibleError",
    "InputError",
    "IntegrityPolicy",
    "Level",
    "LoadPolicy",
    "Lottery",
    "Metrics",
    "NoSolutionError",
    "ObjectivePolicy",
    "PanelPolicy",
    "Phase",
    "Policy",
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
