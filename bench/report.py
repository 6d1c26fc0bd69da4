#!/usr/bin/env python3
"""Turns bench/run's results (one JSON line per measured command, see bench/measure.py) into the
tables, the target checks and the closing line of ratios.

    bench/report.py RESULTS.jsonl [--markdown FILE] [--meta KEY=VALUE ...]

Exits 0 when every target evaluated is met, 3 when one is missed.
"""
import argparse
import collections
import glob
import json
import math
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY_DELAY = 0.050
# Seed 004's target: its (aws CLI setup ÷ cairn apply) at least this share of seed 000's, on each endpoint, in the
# same run: "the same margin", less what two medians of sub-second runs move between runs.
SAME_MARGIN = 0.9
EP_TITLE = {"direct": "direct to moto", "proxy": "through the 50 ms proxy"}

# The read every provider starts with: exactly one per resource in every command: a plan, a drift check, a
# fresh apply (the check that each new name is free) and a destroy (the check that each resource is this state's).
PRIMARY_READ = {
    "aws_ecr_repository": "ECR.DescribeRepositories",
    "aws_s3_bucket": "S3.GetBucketVersioning",
    "aws_ecs_cluster": "ECS.DescribeClusters",
    "aws_iam_role": "IAM.GetRole",
    "aws_cloudwatch_event_rule": "EventBridge.DescribeRule",
}
# A destroy reads only existence and tags (`ownershipRead`): for a bucket, its tagging.
DESTROY_READ = dict(PRIMARY_READ, aws_s3_bucket="S3.GetBucketTagging")


def norm(service):
    return re.sub(r"[^a-z0-9]", "", service.lower())


VERBS = ("Describe", "Get", "List", "Create", "Put", "Delete", "Update", "Authorize", "Revoke", "Tag", "Untag", "Attach",
         "Detach", "Register", "Deregister", "Set", "Batch", "Modify", "Associate", "Disassociate", "Subscribe", "Unsubscribe",
         "Add", "Remove", "Start", "Stop", "Enable", "Disable", "Head")


def scan_providers():
    """What each resource type's provider calls, read from Sources/CairnResources: (service, operation
    or operation prefix) → types, and service → types. Files are cut at each top-level declaration;
    a provider (`struct XProvider` with `let typeName = X.typeName`, or an extension of one) owns the
    operation names written in its part."""
    files = sorted(glob.glob(os.path.join(ROOT, "Sources/CairnResources/**/*.swift"), recursive=True))
    texts = {path: open(path, encoding="utf-8").read() for path in files}
    literal_types = {}  # declaration struct name → its typeName literal
    provider_types = {}  # provider struct name → typeName
    for text in texts.values():
        for name, body in split_declarations(text):
            match = re.search(r'static let typeName\s*=\s*"([a-z0-9_]+)"', body)
            if match:
                literal_types[name] = match.group(1)
    for text in texts.values():
        for name, body in split_declarations(text):
            match = re.search(r'let typeName\s*=\s*([A-Za-z0-9_]+)\.typeName', body)
            if match and match.group(1) in literal_types:
                provider_types[name] = literal_types[match.group(1)]
    # Operations are typed constants: `.ecs.describeClusters` names ECS's DescribeClusters.
    verbs = "|".join(v[0].lower() + v[1:] for v in VERBS)
    declarations = [(name, body, re.findall(r'\.([a-z][A-Za-z0-9]*)\.((?:%s)[A-Z][A-Za-z0-9]*)\b' % verbs, body))
                    for text in texts.values() for name, body in split_declarations(text)]
    # A helper that is no provider (S3BucketPolicyCalls) makes its calls for each provider that uses it.
    helpers = collections.defaultdict(list)
    for name, _, typed in declarations:
        if name not in provider_types:
            helpers[name] += typed
    by_op = collections.defaultdict(set)
    by_service = collections.defaultdict(set)
    for name, body, typed in declarations:
        rtype = provider_types.get(name)
        if not rtype:
            continue
        typed = typed + [op for helper, ops in helpers.items() if ops and re.search(r'\b%s\(' % helper, body) for op in ops]
        for svc, op in typed:
            by_service[norm(svc)].add(rtype)
            by_op[(norm(svc), op[0].upper() + op[1:])].add(rtype)
    return by_op, by_service


def split_declarations(text):
    """(name, body) for each top-level struct, class, enum or extension in a Swift file."""
    parts = re.split(r'^(?=(?:public |final |private |fileprivate |internal )*(?:struct|class|enum|extension|actor) )', text, flags=re.M)
    for part in parts:
        match = re.match(r'(?:public |final |private |fileprivate |internal )*(?:struct|class|enum|extension|actor) ([A-Za-z0-9_]+)', part)
        if match:
            yield match.group(1), part


def attribute(ops, types_present, scanned):
    """Calls by resource type: by the operation when exactly one present type makes it, else by
    the service when exactly one present type uses it, else `shared (SERVICE)`."""
    by_op, by_service = scanned
    out = collections.Counter()
    for key, count in ops.items():
        service, op = key.split(".", 1)
        candidates = by_op.get((norm(service), op), set()) & types_present
        if not candidates:  # an operation name built by interpolation ("AuthorizeSecurityGroup\(direction)")
            for (svc, name), types in by_op.items():
                if svc == norm(service) and op.startswith(name):
                    candidates |= types & types_present
        if not candidates:
            candidates = by_service.get(norm(service), set()) & types_present
        out[next(iter(candidates)) if len(candidates) == 1 else f"shared ({service})"] += count
    return out


def median(values):
    return statistics.median(values) if values else None


def fmt_s(value):
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def fmt_x(value):
    return "-" if value is None else (f"{value:.1f}×" if value >= 1 else f"{value:.2f}×")


class Results:
    def __init__(self, path):
        self.rows = [json.loads(line) for line in open(path) if line.strip()]

    def select(self, **labels):
        return [r for r in self.rows if all(r.get(k) == v for k, v in labels.items())]

    def wall(self, **labels):
        return median([r["wall"] for r in self.select(**labels)])

    def one(self, **labels):
        rows = self.select(**labels)
        return rows[0] if rows else None


def table(headers, rows, aligns=None):
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)] if rows else [len(h) for h in headers]
    aligns = aligns or ["<"] + [">"] * (len(headers) - 1)
    line = lambda cells: "| " + " | ".join(f"{str(c):{a}{w}}" for c, a, w in zip(cells, aligns, widths)) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == ">" else ("-" * (w + 2)) for a, w in zip(aligns, widths)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--markdown")
    parser.add_argument("--meta", action="append", default=[])
    args = parser.parse_args()
    meta = dict(m.split("=", 1) for m in args.meta)
    res = Results(args.results)
    scanned = scan_providers()
    out = []
    targets = []  # (name, ok or None, detail)
    say = out.append
    endpoints = [e for e in ("direct", "proxy") if res.select(endpoint=e)]

    # 1 + 2. The seed's way, and the lower bound.
    ratios = seed_table(res, say, endpoints, "seed", "000", "small-business-invoices", "", boto3=True)
    if ratios:
        say(f"\naws CLI setup: {meta.get('cli_setup_commands', '?')} processes; cleanup: {meta.get('cli_cleanup_commands', '?')} processes; "
            f"boto3: {meta.get('boto3_calls', '?')} calls in one process.\n")
        for ep in endpoints:
            a, c = ratios.get(("apply", ep)), ratios.get(("cli_setup", ep))
            if a and c:
                targets.append((f"cairn apply ≥ 10× faster than the aws CLI script ({ep})", c / a >= 10, f"{c / a:.1f}×"))
            d, k = ratios.get(("destroy", ep)), ratios.get(("cli_cleanup", ep))
            if d and k:
                targets.append((f"cairn destroy ≥ 10× faster than the seed's cleanup ({ep})", k / d >= 10, f"{k / d:.1f}×"))
        a, b = ratios.get(("apply", "proxy")), ratios.get(("boto3", "proxy"))
        if a and b:
            targets.append(("through the proxy, cairn apply ≤ 0.6× the sequential boto3 script", a / b <= 0.6, f"{a / b:.2f}×"))

    # 1. Seed 004's way, and its margin against seed 000's.
    ratios004 = seed_table(res, say, endpoints, "seed004", "004", "cloud-health-dashboard", "004")
    if ratios004:
        say(f"\naws CLI setup: {meta.get('cli004_setup_commands', '?')} processes; cleanup: "
            f"{meta.get('cli004_cleanup_commands', '?')} processes. Margin = aws CLI setup ÷ cairn apply; the target asks seed 004's "
            f"to be at least {SAME_MARGIN:.0%} of seed 000's on each endpoint.\n")
        for ep in endpoints:
            m000, m004 = margin(ratios, ep), margin(ratios004, ep)
            if m000 and m004:
                targets.append((f"seed 004: cairn apply stays ahead of the aws CLI script by seed 000's margin ({ep}): "
                                f"(CLI setup ÷ apply) ≥ {SAME_MARGIN:.0%} of seed 000's", m004 >= SAME_MARGIN * m000,
                                f"{m004:.1f}× vs {m000:.1f}× ({m004 / m000:.0%})"))

    # 3. API calls per resource type, and one read per resource per command.
    sizes = sorted({r["n"] for r in res.select(section="scale")})
    sources = {
        "small-business-invoices": {
            "create": res.one(section="seed", what="cairn-apply", endpoint="direct", rep=1),
            "plan": res.one(section="calls", what="plan", endpoint="direct"),
            "drift": res.one(section="calls", what="drift", endpoint="direct"),
            "destroy": res.one(section="seed", what="cairn-destroy", endpoint="direct", rep=1),
        },
    }
    for seed in sorted({r["stack"] for r in res.select(section="seeds")}):
        sources[seed] = {cmd: res.one(section="seeds", what=what, endpoint="direct", stack=seed)
                         for cmd, what in (("create", "apply"), ("plan", "plan"), ("drift", "drift"), ("destroy", "destroy"))}
    if sizes:
        sources["bench-synthetic"] = {cmd: res.one(section="scale", what=what, endpoint="direct", n=sizes[-1])
                                      for cmd, what in (("create", "apply"), ("plan", "plan"), ("drift", "drift"), ("destroy", "destroy"))}
    call_sections = []
    double = []
    checked = 0
    for stack, rows in sources.items():
        rows = {cmd: row for cmd, row in rows.items() if row}
        if not rows:
            continue
        counts = json.loads(meta.get(f"types_{stack}", "{}"))
        present = set(counts)
        by_cmd = {cmd: attribute(row["ops"], present, scanned) for cmd, row in rows.items()}
        kinds = sorted(set().union(*[set(c) for c in by_cmd.values()]) | present)
        trows = []
        for kind in kinds:
            count = counts.get(kind)
            cells = [kind, count if count else "-"]
            for cmd in ("create", "plan", "drift", "destroy"):
                calls = by_cmd.get(cmd, {}).get(kind, 0)
                cells.append(f"{calls / count:.1f}" if count else str(calls))
            trows.append(cells)
        totals = ["total calls", sum(counts.values())]
        for cmd in ("create", "plan", "drift", "destroy"):
            totals.append(str(sum(by_cmd[cmd].values())) if cmd in by_cmd else "-")
        trows.append(totals)
        call_sections.append((stack, trows))
        for cmd, row in rows.items():
            for rtype, op in (DESTROY_READ if cmd == "destroy" else PRIMARY_READ).items():
                if rtype not in counts:
                    continue
                expected = counts[rtype]
                got = row["ops"].get(op, 0)
                checked += 1
                if got != expected:
                    double.append(f"{stack} {cmd}: {op} {got}× for {expected}")
    for row in res.select(section="scale"):
        counts = BenchTypes.counts(row["n"])
        for rtype, op in (DESTROY_READ if row["what"] == "destroy" else PRIMARY_READ).items():
            expected = counts.get(rtype, 0)
            got = row["ops"].get(op, 0)
            checked += 1
            if got != expected:
                double.append(f"{row['what']} N={row['n']} [{row['endpoint']}]: {op} {got}× for {expected}")
    if call_sections:
        say("## 3. API calls per resource (CAIRN_LOG=debug lines, direct to moto; first attempts only)\n")
        say("create = `cairn apply` on an empty state; no-op plan = `cairn plan` with nothing to change; drift = `cairn drift` "
            "finding none (it also lists unmanaged resources: ECS services in managed clusters, tagged buckets); destroy = "
            "`cairn destroy`. Calls per resource of the type; a `shared` row is calls no single type of the stack makes.\n")
        for stack, trows in call_sections:
            size = f" (N={sizes[-1]})" if stack == "bench-synthetic" and sizes else ""
            say(f"{stack}{size}:\n")
            say(table(["resource type", "count", "create", "no-op plan", "drift", "destroy"], trows))
            say("")
    if checked:
        targets.append(("no per-resource work done twice: each provider's first read runs exactly once per resource in a plan, "
                        "a drift check, a fresh apply (is the name free?) and a destroy (is it this state's?)", not double,
                        "; ".join(double[:4]) if double else f"{checked} checks"))

    # 4. Scale.
    if sizes:
        say("## 4. Scale: bench-synthetic at N resources (ECR, S3, ECS cluster, IAM role → repo+bucket, EventBridge rule → repo)\n")
        srows = []
        for ep in endpoints:
            for what in ("apply", "plan", "drift", "destroy"):
                for n in sizes:
                    row = res.one(section="scale", what=what, endpoint=ep, n=n)
                    if not row:
                        continue
                    wall = res.wall(section="scale", what=what, endpoint=ep, n=n)
                    eff = ""
                    if ep == "proxy" and what in ("plan", "drift", "apply", "destroy") and row["calls"]:
                        p = row.get("parallelism", 32)
                        ideal = row["calls"] * PROXY_DELAY / p
                        eff = f"{100 * ideal / wall:.0f}% (P={p})"
                    srows.append([f"{what}", ep, n, fmt_s(wall), row["calls"], f"{row['calls'] / n:.1f}",
                                  f"{1000 * wall / n:.1f}", f"{row['rss_kb'] / 1024:.0f} MB",
                                  f"{row.get('cpu', 0):.2f} s", eff])
        say(table(["command", "endpoint", "N", "wall", "API calls", "calls/res", "ms/res", "peak RSS", "CPU", "parallel eff."], srows))
        say("\nparallel efficiency = (calls × 50 ms ÷ P) ÷ wall, P = the requests Cairn keeps in flight "
            "(refresh: 32 reads; apply/destroy: --parallelism 10 resources at a time, whose own calls may overlap, "
            "so there the figure can pass 100%).\n")
        # Growth between the two largest sizes.
        if len(sizes) >= 2:
            grow_rows = []
            worst = 0.0
            detail = []
            for ep in endpoints:
                for what in ("apply", "plan", "drift", "destroy"):
                    cells = [what, ep]
                    for metric in ("wall", "calls", "rss_kb"):
                        exps = []
                        for a, b in zip(sizes, sizes[1:]):
                            ra, rb = res.one(section="scale", what=what, endpoint=ep, n=a), res.one(section="scale", what=what, endpoint=ep, n=b)
                            if not ra or not rb:
                                continue
                            va = res.wall(section="scale", what=what, endpoint=ep, n=a) if metric == "wall" else ra[metric]
                            vb = res.wall(section="scale", what=what, endpoint=ep, n=b) if metric == "wall" else rb[metric]
                            e = math.log(max(vb, 1e-9) / max(va, 1e-9)) / math.log(b / a)
                            exps.append(e)
                        cells.append(" → ".join(f"{e:.2f}" for e in exps) if exps else "-")
                        if exps:
                            last = exps[-1]
                            if last > worst:
                                worst = last
                            if last > 1.1:
                                detail.append(f"{what} {metric} [{ep}] {last:.2f}")
                    grow_rows.append(cells)
            pairs = ", ".join(f"{a}→{b}" for a, b in zip(sizes, sizes[1:]))
            say(f"Growth exponents (log of the ratio ÷ log of the N ratio, for {pairs}; 1.0 = linear):\n")
            say(table(["command", "endpoint", "wall", "API calls", "peak RSS"], grow_rows))
            say("")
            targets.append((f"cost grows no faster than linearly in N (every exponent between N={sizes[-2]} and N={sizes[-1]} ≤ 1.10)",
                            not detail, ", ".join(detail) if detail else f"largest exponent {worst:.2f}"))
        top = sizes[-1]
        # What moto itself can serve: the best rate any direct plan or drift reached.
        direct = [(r["calls"] / r["wall"], r) for r in res.select(section="scale", endpoint="direct") if r["what"] in ("plan", "drift") and r["wall"] > 0]
        ceiling = max(direct, key=lambda x: x[0])[0] if direct else None
        if ceiling:
            asked = 32 / PROXY_DELAY
            if ceiling < asked:
                say(f"moto served at most {ceiling:.0f} calls/s (the best direct plan or drift above). Through the proxy, P requests "
                    f"in flight ask for P ÷ 50 ms: at P=32 that is {asked:.0f} calls/s, more than moto serves, so there the efficiency "
                    f"above is bounded by moto at about {100 * ceiling / asked:.0f}%, whatever the client does.\n")
            else:
                say(f"moto served up to {ceiling:.0f} calls/s (the best direct plan or drift above), more than the {asked:.0f} calls/s "
                    f"that 32 requests in flight through the proxy ask for: there the efficiency is the client's own.\n")
        for what in ("plan", "drift"):
            row = res.one(section="scale", what=what, endpoint="proxy", n=top)
            if not row:
                continue
            wall = res.wall(section="scale", what=what, endpoint="proxy", n=top)
            p = row.get("parallelism", 32)
            ideal = row["calls"] * PROXY_DELAY / p
            label = "no-op plan" if what == "plan" else "drift check"
            bound = f"; moto's ceiling at P={p}: {min(100, 100 * ceiling * PROXY_DELAY / p):.0f}%" if ceiling else ""
            detail = f"{100 * ideal / wall:.0f}%: {wall:.2f} s for {row['calls']} calls, ideal {ideal:.2f} s{bound}"
            if top >= 1000:
                targets.append((f"through the proxy at N={top}, a {label} reaches ≥ 75% parallel efficiency (P={p})",
                                ideal / wall >= 0.75, detail))
            else:
                targets.append((f"through the proxy at N=1000, a {label} reaches ≥ 75% parallel efficiency (P={p})",
                                None, f"not run (the largest N here is {top}); at N={top}: {detail}"))

    # 5. Engine alone.
    engine = res.select(section="engine")
    if engine:
        n = engine[0]["n"]
        wall = res.wall(section="engine")
        rss = max(r["rss_kb"] for r in engine) / 1024
        say(f"## 5. The engine alone: `cairn plan bench-synthetic --env n{n} --refresh=false` on a state of {n} resources\n")
        say(table(["", "wall", "peak RSS", "CPU", "runs"], [[f"no-op plan, {n} resources", fmt_s(wall), f"{rss:.0f} MB",
                                                          f"{median([r.get('cpu', 0) for r in engine]):.2f} s", len(engine)]]))
        say("")
        targets.append((f"engine alone at {n} resources: ≤ 1 s and ≤ 300 MB", wall <= 1.0 and rss <= 300, f"{wall:.2f} s, {rss:.0f} MB"))

    # 6. Seeds 001 to 004: times side by side, and a no-op plan that only reads.
    seeds = sorted({r["stack"] for r in res.select(section="seeds")})
    if seeds:
        say("## 6. Seeds 001 to 004: apply, no-op plan, drift, destroy (wall / API calls)\n")
        rows, writes = [], []
        for seed in seeds:
            count = sum(json.loads(meta.get(f"types_{seed}", "{}")).values())
            for ep in endpoints:
                cells = [seed, count, ep]
                for what in ("apply", "plan", "drift", "destroy"):
                    row = res.one(section="seeds", what=what, endpoint=ep, stack=seed)
                    cells.append(f"{fmt_s(res.wall(section='seeds', what=what, endpoint=ep, stack=seed))} / {row['calls']}" if row else "-")
                    if row and what == "plan":
                        writes += [f"{seed} [{ep}]: {op}" for op in row["ops"]
                                   if not op.split(".", 1)[1].startswith(("Describe", "Get", "List", "Head", "BatchGet"))]
                rows.append(cells)
        say(table(["stack", "resources", "endpoint", "apply (wall / calls)", "no-op plan", "drift", "destroy"], rows))
        say("")
        targets.append(("seeds 001 to 004: a no-op plan makes read calls only", not writes,
                        "; ".join(writes[:4]) if writes else "every call a Describe, Get, List or Head"))

    # 7. Shared state in S3 against local state: each run beside a local one (older results: sections 1 and 4).
    if res.select(section="shared"):
        say("## 7. Shared state in S3 (`--backend s3://…`) against local state (wall, median)\n")
        say("Each S3 run follows the same command on local state, so both see the same load. State requests: the S3 object "
            "calls the S3 run made beyond the local run's (GetObject, PutObject, ListObjectsV2, DeleteObject(s)).\n")
        state_ops = ("S3.GetObject", "S3.PutObject", "S3.ListObjectsV2", "S3.DeleteObject", "S3.DeleteObjects", "S3.GetBucketVersioning")

        def state_requests(section, local_section, **labels):
            def calls(section):
                rows = res.select(section=section, **labels)
                return median([sum(r["ops"].get(op, 0) for op in state_ops) for r in rows])
            shared, local = calls(section), calls(local_section)
            return None if shared is None or local is None else shared - local

        rows = []
        seed_local = "shared-local" if res.select(section="shared-local") else "seed"
        scale_local = "shared-scale-local" if res.select(section="shared-scale-local") else "scale"
        for ep in endpoints:
            for what, label in (("apply", "cairn-apply"), ("destroy", "cairn-destroy")):
                local = res.wall(section=seed_local, what=label, endpoint=ep)
                shared = res.wall(section="shared", what=label, endpoint=ep)
                if local and shared:
                    count = len(res.select(section="shared", what=label, endpoint=ep))
                    requests = state_requests("shared", seed_local, what=label, endpoint=ep)
                    rows.append([f"seed 000 {what} ({count} runs)", ep, fmt_s(local), fmt_s(shared), f"{(shared / local - 1) * 100:+.0f}%",
                                 "-" if requests is None else f"{requests:.0f}", ""])
                    if what == "apply" and ep == "proxy":
                        targets.append(("seed 000: cairn apply with the state in S3 ≤ 15% slower than local state (proxy)",
                                        shared <= local * 1.15, f"{(shared / local - 1) * 100:+.0f}%"))
            for n in sorted({r["n"] for r in res.select(section="shared-scale")}):
                for what in ("apply", "destroy"):
                    local = res.wall(section=scale_local, what=what, endpoint=ep, n=n)
                    shared = res.wall(section="shared-scale", what=what, endpoint=ep, n=n)
                    if local and shared:
                        requests = state_requests("shared-scale", scale_local, what=what, endpoint=ep, n=n)
                        rows.append([f"N={n} {what}", ep, fmt_s(local), fmt_s(shared), f"{(shared / local - 1) * 100:+.0f}%",
                                     "-" if requests is None else f"{requests:.0f}", f"{shared / n * 1000:.1f} ms"])
        say(table(["", "endpoint", "local state", "state in S3", "overhead", "state requests", "S3 per resource"], rows))
        say("")
    # 9. Terraform and cairn on seed 000's resources.
    terraform_ratios = terraform_table(res, say, endpoints, meta)

    # Targets and the closing line.
    say("## Targets\n")
    for name, ok, detail in targets:
        mark, word = ("x", "MET    ") if ok else ("-", "NOT RUN") if ok is None else (" ", "MISSED ")
        say(f"- [{mark}] {word} {name}: {detail}")
    say("")
    parts = []
    for ep in endpoints:
        a, c, d, k, b = (ratios.get((x, ep)) for x in ("apply", "cli_setup", "destroy", "cli_cleanup", "boto3"))
        bits = []
        if a and c:
            bits.append(f"aws CLI/apply {c / a:.1f}×")
        if d and k:
            bits.append(f"cleanup/destroy {k / d:.1f}×")
        if a and b:
            bits.append(f"apply/boto3 {a / b:.2f}×")
        if margin(ratios004, ep):
            bits.append(f"seed 004 aws CLI/apply {margin(ratios004, ep):.1f}×")
        if bits:
            parts.append(f"{ep}: " + ", ".join(bits))
    top = sizes[-1] if sizes else None
    if top:
        for what in ("plan", "drift"):
            row = res.one(section="scale", what=what, endpoint="proxy", n=top)
            if row:
                wall = res.wall(section="scale", what=what, endpoint="proxy", n=top)
                parts.append(f"{what} efficiency N={top} {100 * row['calls'] * PROXY_DELAY / row.get('parallelism', 32) / wall:.0f}%")
    if engine:
        parts.append(f"engine {res.wall(section='engine'):.2f} s / {max(r['rss_kb'] for r in engine) / 1024:.0f} MB")
    for ep in endpoints:
        bits = [f"{what} {terraform_ratios[(what, ep)]:.1f}×" for what in ("apply", "plan", "drift", "destroy") if (what, ep) in terraform_ratios]
        if bits:
            parts.append(f"terraform/cairn {ep}: " + ", ".join(bits))
    met = sum(1 for _, ok, _ in targets if ok)
    evaluated = sum(1 for _, ok, _ in targets if ok is not None)
    say(f"Ratios — {'; '.join(parts)} — targets met: {met}/{evaluated}"
        + (f" ({len(targets) - evaluated} not run)" if evaluated < len(targets) else ""))
    text = "\n".join(out)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    sys.exit(0 if met == evaluated else 3)


def seed_table(res, say, endpoints, section, seed, stack, suffix, boto3=False):
    """Prints a seed's aws CLI scripts (bench/seed{suffix}-setup.sh, -cleanup.sh) against cairn apply and destroy
    of its stack, and the boto3 lower bound when asked; returns the median walls by (what, endpoint)."""
    if not endpoints or not res.select(section=section):
        return {}
    lines = [(f"aws CLI setup (bench/seed{suffix}-setup.sh)", "cli-setup", "cli_setup"),
             (f"cairn apply {stack}", "cairn-apply", "apply")]
    if boto3:
        lines.append(("boto3 creates, one process (bench/boto3-create.py)", "boto3-create", "boto3"))
    lines += [(f"seed cleanup (bench/seed{suffix}-cleanup.sh)", "cli-cleanup", "cli_cleanup"),
              (f"cairn destroy {stack}", "cairn-destroy", "destroy")]
    rows, ratios = [], {}
    for label, what, note in lines:
        row = [label]
        for ep in endpoints:
            ratios[(note, ep)] = res.wall(section=section, what=what, endpoint=ep)
            row.append(fmt_s(ratios[(note, ep)]))
        rows.append(row)
    quotients = [("  aws CLI setup ÷ cairn apply", "cli_setup", "apply"), ("  seed cleanup ÷ cairn destroy", "cli_cleanup", "destroy")]
    if boto3:
        quotients.append(("  cairn apply ÷ boto3 creates", "apply", "boto3"))
    for label, a, b in quotients:
        row = [label]
        for ep in endpoints:
            x, y = ratios.get((a, ep)), ratios.get((b, ep))
            row.append(fmt_x(x / y) if x and y else "-")
        rows.append(row)
    reps = max((r.get("rep", 1) for r in res.select(section=section)), default=1)
    say(f"## 1{'-2' if boto3 else ''}. Seed {seed}'s way vs Cairn ({stack}; median of {reps} run{'s' if reps > 1 else ''})\n")
    say(table(["", *[EP_TITLE[e] for e in endpoints]], rows))
    return ratios


TERRAFORM_STEPS = [
    ("apply", "terraform apply", "cairn apply"),
    ("plan", "terraform plan (no changes)", "cairn plan --detailed-exitcode"),
    ("drift", "terraform plan -refresh-only (drift)", "cairn drift"),
    ("destroy", "terraform destroy", "cairn destroy"),
]


def terraform_table(res, say, endpoints, meta):
    """Item 7: Terraform and cairn on the same resources, each step's median wall time with the requests moto served
    for it, and Terraform's time over cairn's. Returns (step, endpoint) → that quotient."""
    if not res.select(section="terraform"):
        return {}
    reps = max((r.get("rep", 1) for r in res.select(section="terraform")), default=1)
    rows, ratios = [], {}

    def cell(what, ep):
        wall = res.wall(section="terraform", what=what, endpoint=ep)
        served = median([r["requests"] for r in res.select(section="requests", what=what, endpoint=ep)])
        return wall, (f"{fmt_s(wall)} / {served:.0f}" if wall is not None and served is not None else fmt_s(wall))

    for step, tf_label, cairn_label in TERRAFORM_STEPS:
        tf_row, cairn_row, ratio_row = [tf_label], [cairn_label], [f"  terraform {step} ÷ cairn {step}"]
        for ep in endpoints:
            tf_wall, tf_text = cell(f"tf-{step}", ep)
            cairn_wall, cairn_text = cell(f"cairn-{step}", ep)
            tf_row.append(tf_text)
            cairn_row.append(cairn_text)
            if tf_wall and cairn_wall:
                ratios[(step, ep)] = tf_wall / cairn_wall
            ratio_row.append(fmt_x(ratios.get((step, ep))))
        rows += [tf_row, cairn_row, ratio_row]
    say(f"## 9. Terraform vs Cairn on seed 000's resources (bench/terraform and small-business-invoices; median of {reps} "
        f"run{'s' if reps > 1 else ''}; wall / requests moto served)\n")
    say(table(["", *[EP_TITLE[e] for e in endpoints]], rows))
    say(f"\n{meta.get('terraform', 'Terraform')}, its provider from the local filesystem mirror; the same 12 resources (22 Terraform "
        "resources: Cairn keeps a bucket's versioning, encryption, public access block, ownership controls, lifecycle and policy, a "
        "repository's lifecycle policy and a role's policies as attributes of one resource). Terraform's apply includes the AWS "
        "provider's own waits, whatever the endpoint: it polls an S3 lifecycle configuration until it reads back the same "
        "several times in a row (55 s against moto) and reads a new ECS cluster back 10 s after creating it; every Terraform "
        "run also starts the provider (a 700 MB binary). Terraform's drift check runs after one unmeasured "
        "`terraform apply -refresh-only`, which records what its first refresh after an apply finds missing from its state "
        "(tags null → {}, a role's inline_policy put there by aws_iam_role_policy); it then prints \"No changes\".\n")
    return ratios


def margin(ratios, ep):
    """aws CLI setup ÷ cairn apply on the endpoint, or None."""
    c, a = ratios.get(("cli_setup", ep)), ratios.get(("apply", ep))
    return c / a if c and a else None


class BenchTypes:
    """The composition of bench-synthetic at N (stacks/BenchSynthetic.swift): groups of five."""
    ORDER = ["aws_ecr_repository", "aws_s3_bucket", "aws_ecs_cluster", "aws_iam_role", "aws_cloudwatch_event_rule"]

    @classmethod
    def counts(cls, n):
        counts = collections.Counter()
        for i in range(n):
            counts[cls.ORDER[i % 5]] += 1
        return counts


if __name__ == "__main__":
    main()
