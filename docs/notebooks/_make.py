"""Write the notebooks of ``docs/notebooks/`` from the cells below, without outputs.

The notebooks are generated so that a change to one is a reviewable diff of this file.
Run it from anywhere after editing a cell, and commit both::

    python docs/notebooks/_make.py

A notebook that uses an API not yet in ``reviewassign`` names it in its metadata,
``metadata["reviewassign"]["requires"]`` (names of ``reviewassign`` attributes or
submodules); ``tests/test_notebooks.py`` skips it, naming what is missing, until they all
exist, and runs it from then on.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# The first code cell of every notebook: the repository's bundled example, found from the
# notebook's folder (the working directory under Jupyter and under the tests).
SETUP = """\
from pathlib import Path

import reviewassign as ra

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").exists())
example = root / "examples" / "pioneer_award"
problem = ra.load_problem(example)
policy = ra.load_policy(example / "policy.toml")
print(len(problem.cases), "cases,", len(problem.reviewers), "reviewers")"""

PLOTS = """\
import matplotlib

matplotlib.use("Agg")  # no window: the figures are shown inline by Jupyter, saved by scripts
import matplotlib.pyplot as plt"""


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip())


NOTEBOOKS: dict[str, tuple[list[str], list[nbformat.NotebookNode]]] = {}

NOTEBOOKS["first_assignment"] = (
    [],
    [
        md("""
# A first assignment

The bundled example, the *Pioneer Award*: 150 applications, 90 reviewers, panels of three
with regional representation and gender balance. Load it, solve it with its own policy,
check the answer independently, look at its balance and save it. The tutorial of the
documentation (`docs/tutorial.md`) explains each step at more length.
"""),
        code(SETUP),
        md("""
Solve with one CP-SAT worker and a seed, so that the same input gives the same panels.
`bound` is a proven upper limit on the objective and `gap` the distance to it (0: optimal).
"""),
        code("""
result = ra.solve(problem, policy, time_limit=60, seed=0)
print(result.status, round(result.objective, 4), round(result.bound, 4), result.gap)"""),
        md("""
`ra.check` re-checks every rule of the policy with an independent implementation; an
empty list means valid.
"""),
        code("""
violations = ra.check(problem, policy, result.assignment)
assert violations == []
violations"""),
        code("print(result.metrics.summary())"),
        md("One panel, with each member's region, gender and expertise in the case's topics:"),
        code("""
case = problem.case("C0017")
reviewers = {r.id: r for r in problem.reviewers}
print(case.id, case.region, dict(case.topics))
for rid in result.assignment[case.id]:
    r = reviewers[rid]
    levels = {t: r.expertise.get(t, 0) for t in case.topics}
    print(f"  {rid}  {r.region:<28} {r.gender or '-':<8} {levels}")"""),
        md("Save the full result (status, objective, bound, assignment, stats, metrics) as JSON:"),
        code("""
import json
import tempfile

out = Path(tempfile.mkdtemp()) / "pioneer_award.json"
ra.save_result(result, out)
saved = json.loads(out.read_text(encoding="utf-8"))
print(out.name, saved["status"], len(saved["assignment"]), "panels")
assert ra.load_assignment(out) == result.assignment"""),
    ],
)

NOTEBOOKS["own_region_cost"] = (
    ["compare", "Comparison", "plot"],
    [
        md("""
# What does excluding a case's own region cost?

A policy question: if no reviewer may come from the applicant's own region
(`own_region = "exclude"`), or if every panel must have one (`"at_least_one"`), how much
expertise does the award give up against its current rule (`"any"`)? `ra.compare` solves
the problem under each policy and prices each one against a baseline.
"""),
        code(SETUP),
        code('''
def with_own_region(rule):
    """The award policy with another own-region rule."""
    data = policy.model_dump()
    data["panel"]["own_region"] = rule
    return ra.Policy.model_validate(data)


policies = {rule: with_own_region(rule) for rule in ("any", "exclude", "at_least_one")}
comparison = ra.compare(problem, policies, baseline="any")
comparison.to_frame()'''),
        md("""
`price` is what each policy costs against the baseline in total affinity; `worst_case`
is the affinity of its worst panel, and `changes` the number of pairs that differ from the
baseline's assignment.
"""),
        code("""
for row in comparison.rows:
    print(
        f"{row.policy:<13} objective {row.objective:9.3f}  price {row.price:7.3f}  "
        f"worst panel {row.worst_case:.3f}  changed pairs {row.changes}"
    )"""),
        code(PLOTS),
        code("""
import reviewassign.plot

fig, ax = plt.subplots(figsize=(5, 3))
reviewassign.plot.comparison(comparison, metric="price", ax=ax)
ax.set_title("Price of the own-region rule")
plt.show()"""),
        code("""
reviewassign.plot.profile(comparison)
plt.show()"""),
    ],
)

NOTEBOOKS["explain_infeasible"] = (
    [],
    [
        md("""
# Explain an infeasible policy

A policy that cannot be met gets status `INFEASIBLE`. `ra.explain` says why, in three steps:

1. **Necessary checks**, policy-level first: each rule asks every panel for seats from some
   group of reviewers (seniors, readers of a language, reviewers of undisclosed gender when
   a gender cap leaves them a seat...), alone or with a second rule, and the need, summed
   over the cases, is set against what the group can hold. Then each case's eligible
   reviewers against each panel rule. Each failing check proves the infeasibility alone
   and names the policy keys, the counts and a few ids.
2. **The policy keys that cannot hold together** (`why.keys`), shrunk key by key, and for
   each of them the smallest policy-wide change that restores feasibility, verified by a
   solve and ranked by its price (the objective lost against that key turned off).
3. When no check fails (or with `core=True`), **the rule instances** of those keys that
   cannot hold together, with per-instance relaxations.
"""),
        code(SETUP),
        md("Two senior reviewers on every panel of the bundled award:"),
        code("""
data = policy.model_dump()
data["panel"]["min_senior"] = 2
demanding = ra.Policy.model_validate(data)

attempt = ra.solve(problem, demanding, seed=0)
print(attempt.status, attempt.ok)"""),
        code("""
why = ra.explain(problem, demanding)
print(why)"""),
        md("""
At most one reviewer of each gender on panels of three: every panel then needs a reviewer
of undisclosed gender, and the award has five of them. The count says so at once; the key
search confirms that the gender cap and the loads are the two keys in conflict, and prices
the change of each.
"""),
        code("""
strict = policy.with_settings({"panel.max_per_gender": 1})
why = ra.explain(problem, strict)
print(why)
print(why.keys, why.keys_irreducible)
best = why.relaxations[0]
print(best.scope, dict(best.settings), best.price)
print(ra.solve(problem, strict.with_settings(best.settings), seed=0).status)"""),
        md("""
On a small problem, `core=True` also searches the rule instances that cannot hold
together and relaxes each one, and `relax="minimal"` returns the best assignment that
breaks the fewest rules, listing what it broke.
"""),
        code("""
tiny = ra.Problem(
    cases=[ra.Case(id="C1", region="Africa"), ra.Case(id="C2", region="Africa")],
    reviewers=[
        ra.Reviewer(id="R1", region="Africa", max_load=1),
        ra.Reviewer(id="R2", region="Europe and North America"),
    ],
)
own = ra.Policy(panel_size=1, panel={"own_region": "at_least_one"})
print(ra.solve(tiny, own).status)
print(ra.explain(tiny, own, core=True))"""),
        code("""
soft = ra.solve(tiny, own, relax="minimal")
print(soft.status, dict(soft.assignment))
for broken in soft.broken:
    print(broken)"""),
    ],
)

NOTEBOOKS["repair_after_decline"] = (
    [],
    [
        md("""
# Repair after a decline

Panels have been sent out and a reviewer declines. Rather than solve again (which may move
reviewers who have started), look for alternates for the free seat, or let `ra.repair`
change as few pairs as it can while every rule still holds.
"""),
        code(SETUP),
        code("""
result = ra.solve(problem, policy, seed=0)
case = "C0017"
declined = result.assignment[case][0]
print(result.status, case, result.assignment[case], "declined:", declined)"""),
        md("The reviewers who could take the seat, each swap checked by `ra.check`, best first:"),
        code("""
for alternate in result.alternates(case, 3, member=declined):
    print(alternate)"""),
        md("Or repair the whole assignment with the fewest changed pairs:"),
        code("""
fixed = ra.repair(problem, policy, result.assignment, [ra.Event.decline(case, declined)], seed=0)
print(fixed)
assert ra.check(fixed.problem, policy, fixed.assignment) == []
print("price of the decline:", round(result.objective - fixed.objective, 4))"""),
        md("The diff per case and per reviewer, to tell each person what changed:"),
        code("""
print(fixed.removed, fixed.added)
fixed.by_case()"""),
        code("fixed.by_reviewer()"),
    ],
)

NOTEBOOKS["dask_sweep"] = (
    ["grid", "sweep", "SweepResult"],
    [
        md("""
# A sweep on a Dask cluster

`ra.grid` expands a base policy over a grid of keys, and `ra.sweep` solves the problem
under every policy (and seed) on any `concurrent.futures` executor: here a local Dask
cluster of two worker processes. On a real cluster, only the `Client` line changes.
"""),
        code(SETUP),
        code("""
policies = ra.grid(policy, {"panel.max_per_region": [1, 2], "load.max": [5, 6]})
list(policies)"""),
        code("""
from distributed import Client, LocalCluster

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = Client(cluster)
try:
    sweep = ra.sweep(problem, policies, executor=client.get_executor(), seeds=(0,), progress=False)
finally:
    client.close()
    cluster.close()"""),
        code("""
for task in sweep.tasks:
    if task.error is not None:
        print(f"{task.name} seed {task.seed}: {task.error}")
    else:
        status, objective = task.result.status.name, task.result.objective
        print(f"{task.name} seed {task.seed}: {status} {objective:.3f}")
assert all(task.error is None for task in sweep.tasks)"""),
        code("""
results = sweep.results()
best = max(results, key=lambda name: results[name].objective)
print("best policy of the grid:", best)"""),
    ],
)


def build(name: str) -> nbformat.NotebookNode:
    requires, cells = NOTEBOOKS[name]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    if requires:
        nb.metadata["reviewassign"] = {"requires": requires}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:20]}-{i}"  # stable ids: regenerating gives the same file
    nbformat.validate(nb)
    return nb


def main() -> None:
    for name in NOTEBOOKS:
        nbformat.write(build(name), HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
