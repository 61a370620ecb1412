#!/usr/bin/env bash
# The medians of a bench/run.sh results.tsv, as Markdown (run.sh calls it; it can be rerun on
# any results.tsv).
#
#   bench/summarize.sh RESULTS.tsv
#
# Per workload and target: medians over the rounds of req/s, p50, p99, peak RSS, CPU per
# request and busy cores; 2xx, replays, non-2xx, new rows, lost and unread summed over the
# rounds (one lost message in any round is a failure). "× nginx": the median req/s over the
# nginx ceiling's median in the same workload. Then the same medians side by side, one line
# per workload, and, when run.sh had a --baseline, this build over the baseline.
set -euo pipefail
results=${1:?usage: summarize.sh RESULTS.tsv}

awk -F'\t' '
function median(key, col,    n, i, j, v, a) {
    n = 0
    for (i = 1; i <= runs[key]; i++) {
        v = cell[key, i, col]
        if (v ~ /^-?[0-9.]+$/) a[++n] = v + 0
    }
    if (n == 0) return "-"
    for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function total(key, col,    i, s, v, any) {
    s = 0; any = 0
    for (i = 1; i <= runs[key]; i++) { v = cell[key, i, col]; if (v ~ /^-?[0-9]+$/) { s += v; any = 1 } }
    return any ? s : "-"
}
function fmt(v, digits) { return (v == "-") ? "-" : sprintf("%." digits "f", v) }
function ratio(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b) }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    key = $(col["workload"]) SUBSEP $(col["target"])
    if (!(key in runs)) { order[++keys] = key; runs[key] = 0 }
    if (!(($(col["workload"])) in seen)) { seen[$(col["workload"])] = 1; workloads[++nw] = $(col["workload"]) }
    r = ++runs[key]
    for (i = 1; i <= NF; i++) cell[key, r, i] = $i
    backend[key] = $(col["backend"]); conns[key] = $(col["connections"])
}
END {
    for (k = 1; k <= keys; k++) {
        key = order[k]
        rps[key] = median(key, col["req_s"]); p99[key] = median(key, col["p99_ms"])
        rss[key] = median(key, col["peak_rss_kib"]); cpu[key] = median(key, col["cpu_us_per_req"])
    }
    print "Medians over the rounds (2xx, replayed, non-2xx, new rows, lost, unread: summed):"
    print ""
    print "| workload | target | backend | conns | rounds | req/s | × nginx | p50 ms | p99 ms | peak RSS MiB | CPU µs/req | DB CPU µs/req | busy cores | 2xx | replayed | non-2xx | new rows | lost | unread |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (k = 1; k <= keys; k++) {
        key = order[k]; split(key, kt, SUBSEP)
        ng = kt[1] SUBSEP "nginx"
        non2xx = total(key, col["s409"]) + total(key, col["s4xx"]) + total(key, col["s5xx"])
        printf "| %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            kt[1], kt[2], backend[key], conns[key], runs[key], fmt(rps[key], 0),
            ((ng in rps) && kt[2] != "nginx") ? ratio(rps[key], rps[ng]) : "-",
            fmt(median(key, col["p50_ms"]), 2), fmt(p99[key], 2),
            (rss[key] == "-") ? "-" : sprintf("%.1f", rss[key] / 1024), fmt(cpu[key], 0),
            fmt(median(key, col["db_cpu_us_per_req"]), 0), fmt(median(key, col["busy_cores"]), 2),
            total(key, col["ok_2xx"]), total(key, col["replayed"]), non2xx,
            total(key, col["new_rows"]), total(key, col["lost"]), total(key, col["unread"])
    }
    print ""
    print "Side by side (medians; a ratio is the gateway'\''s figure over the peer'\''s):"
    print ""
    print "| workload | gateway req/s | node-seed req/s | nginx req/s | ÷ node-seed | ÷ nginx | gateway p99 ms | node-seed p99 ms | node-seed p99 ÷ gateway p99 | gateway RSS MiB | node-seed RSS MiB | gateway CPU µs/req | nginx CPU µs/req | CPU ÷ nginx |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (w = 1; w <= nw; w++) {
        g = workloads[w] SUBSEP "gateway"; s = workloads[w] SUBSEP "node-seed"; n = workloads[w] SUBSEP "nginx"
        gr = (g in rps) ? rps[g] : "-"; sr = (s in rps) ? rps[s] : "-"; nr = (n in rps) ? rps[n] : "-"
        gp = (g in rps) ? p99[g] : "-"; sp = (s in rps) ? p99[s] : "-"
        gm = (g in rps && rss[g] != "-") ? sprintf("%.1f", rss[g] / 1024) : "-"
        sm = (s in rps && rss[s] != "-") ? sprintf("%.1f", rss[s] / 1024) : "-"
        gc = (g in rps) ? cpu[g] : "-"; nc = (n in rps) ? cpu[n] : "-"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            workloads[w], fmt(gr, 0), fmt(sr, 0), fmt(nr, 0), ratio(gr, sr), ratio(gr, nr),
            fmt(gp, 2), fmt(sp, 2), ratio(sp, gp), gm, sm, fmt(gc, 0), fmt(nc, 0), ratio(gc, nc)
    }
    has_baseline = 0
    for (w = 1; w <= nw; w++) if ((workloads[w] SUBSEP "baseline") in rps) has_baseline = 1
    if (!has_baseline) exit
    print ""
    print "This build against the baseline (run.sh --baseline; medians; a ratio is this build'\''s figure over the baseline'\''s):"
    print ""
    print "| workload | gateway req/s | baseline req/s | req/s ÷ baseline | gateway p99 ms | baseline p99 ms | gateway CPU µs/req | baseline CPU µs/req | CPU ÷ baseline |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (w = 1; w <= nw; w++) {
        g = workloads[w] SUBSEP "gateway"; b = workloads[w] SUBSEP "baseline"
        if (!(g in rps) || !(b in rps)) continue
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", workloads[w], fmt(rps[g], 0), fmt(rps[b], 0),
            ratio(rps[g], rps[b]), fmt(p99[g], 2), fmt(p99[b], 2), fmt(cpu[g], 0), fmt(cpu[b], 0), ratio(cpu[g], cpu[b])
    }
}' "$results"
