"""Team assembly: the least-cost team that covers a task force's needs (pure: plain data, networkx, HiGHS).

The problem
-----------
A task force states *needs*: for need ``j`` a skill ``s_j``, a minimum level
``L_j``, a headcount ``h_j``, an allocation ``a_j`` (% of working time) and
whether it is essential. A *candidate* ``i`` has current levels per skill, the
share ``f_i`` of working time still free on the busiest day of the period, a
home agency, whether they are a civil servant (internal) or an external expert,
and a monthly cost ``m_i``. Person ``i`` may fill one slot of need ``j`` when
``level_i(s_j) >= L_j``; a person fills at most one slot of a need, and may fill
several needs only while the allocations fit: ``sum of a_j over i's needs <= f_i``.
The people already in the team (the lead, current members) are given as
``current``: they are never removed, and count in the communication cost.

The cost (documented; baht over the assignment's period)
---------------------------------------------------------
::

    cost(T) =   sum over assignments (i, j) of  m_i * a_j / 100 * M     people's cost over the period (money)
              + P * M * (number of new external members)               only with ``prefer_internal``
              + lam * sum over pairs {u, v} of team members of d(u, v)  collaboration term (a tie-breaker)

``M`` is the length of the assignment in months (``Options.months``; the API passes the months of the
proposal's period, :func:`hrsys.core.fiscal.months_in_period`), so the total is what the team costs over the
time it serves, not per month. The last sum runs over every pair of members of which at least one is new
(pairs among the people already in the team do not depend on the choice). ``d(u, v)`` is the number of hops
between ``u`` and ``v`` in the collaboration graph (people who served together in a task force, or were
knowledge-transfer counterparts), capped at ``D = max_distance`` (default 3: "never worked together, nor with
a common colleague"). This is the *sum of distances* communication cost of Kargar and An (CIKM 2011), which
with the lead among the current members also contains their *leader distance*; Lappas, Liu and Terzi (KDD
2009) introduced communication cost in the collaboration graph. ``lam`` is a one-off amount per hop per pair
(default 50 baht), chosen so that it breaks ties and does not outweigh pay: a newcomer to a team of ``N``
adds at most ``lam * D * (N - 1)`` (1,350 baht in a team of ten), under a tenth of the lowest monthly cost,
whereas the term grows with the square of the team and at the old 1,000 baht per month it could exceed the
salaries. ``P`` is the preference for civil servants (default 30,000 baht per month of the period per
external expert). Every amount is computed in satang (integers, rounded once per assignment), so costs
compare exactly.

Coverage comes first, lexicographically: the result leaves the fewest essential
slots uncovered, then the fewest desirable slots, and among those it has the
least cost. People in ``include`` fill at least one need (someone who fits no need,
or whose time or the externals limit does not allow it, is reported in ``warnings``);
people in ``exclude`` and civil servants outside ``agencies`` are never proposed.

The algorithm
-------------
1. Eligibility: O(needs x candidates). Distances: a breadth-first search cut at
   ``D - 1`` hops from every eligible candidate.
2. Exact reductions (:mod:`~hrsys.taskforces.assembly.pruning`, each with its proof): isolated candidates of a
   single need beyond the ``h_j`` cheapest, and identical isolated twins beyond the slots they could fill.
3. A heuristic team (weighted set-cover greedy, Chvatal 1979, and rarest-need-first greedy from several
   starts, Lappas et al., each improved by local search). It is the solver's warm start and the answer when
   ``search_budget`` is 0, and what stands when the solver finds nothing better in time. It is no
   substitute for the solve: on the 600-candidate test instance (10 needs) it cost 7% more than the optimum
   with a collaboration weight of 1,000 baht (211,000 against 197,000; equal at the default weight), and
   the former hand-written branch and bound never proved 10-need national instances optimal.
4. The exact solve: a mixed-integer program solved by HiGHS (:mod:`~hrsys.taskforces.assembly.milp`): stage 1
   the most covered slots (skipped when the heuristic already covers every slot that has enough eligible
   people), stage 2 the least cost at that coverage. The collaboration term is linearised with one variable per pair of
   candidates closer than ``D`` (every other pair costs ``D``) and the convex count ``n (n - 1) / 2`` of
   pairs of new members. Work is limited in branch-and-bound nodes (``search_budget``) and by a wall-clock
   limit (``time_limit_ms``; the API uses one).

Guarantee: ``optimal`` is true only when both stages finished (HiGHS proved optimality with a gap below one
satang, the objective being integral) and the team, re-checked and re-costed exactly, matches. Then it
is optimal for the cost above over the candidates given. Stopped by a limit, the result is the best team
found, ``optimal`` is false and ``lower_bound`` is the solver's proven bound on the cost at that coverage (0
when the coverage itself was not proven). The tests compare every optimal answer with an independent CP-SAT
model on pools of 60 to 90 candidates and with brute force on small ones. The problem contains set cover, so
no polynomial algorithm is exact in general (Lappas et al. 2009 prove the communication-cost versions
NP-hard).

The files
---------
``structs`` the data in and out; ``model`` the instance in indices and the incremental team state; ``pruning``
the exact reductions; ``heuristic`` the greedy starts and local search; ``milp`` the exact solve and its bound;
``explain`` the reasons and suggestions; ``solve`` :func:`~hrsys.taskforces.assembly.solve.assemble`, which
runs them in that order. Pure: plain data, networkx and HiGHS, no web framework and no database.

Example
-------
>>> from hrsys.taskforces.assembly.solve import assemble
>>> from hrsys.taskforces.assembly.structs import Candidate, Need, SkillLevel
>>> needs = [Need(id=1, skill_id=10, min_level=3, allocation=50)]
>>> pool = [
...     Candidate(person_id=7, skills={10: SkillLevel(level=4)}, monthly_cost=40_000),
...     Candidate(person_id=8, skills={10: SkillLevel(level=3)}, monthly_cost=30_000),
... ]
>>> team = assemble(needs, pool)
>>> [m.person_id for m in team.members], team.cost.people, team.optimal
([8], 15000.0, True)
"""
