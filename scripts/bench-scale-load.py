"""The client side of scripts/bench-scale.sh, with boto3 against a running `coffer serve`.

  load ENDPOINT COUNT   COUNT SecureString parameters, then COUNT secrets, each tagged with its
                        Copilot application and environment, by 16 threads (one client each,
                        no retries: any failed request stops the load and exits 1); prints the
                        write rate of each kind.
  pages ENDPOINT        p50/p99 of first pages (by path, by tag, by name prefix, unfiltered) and
                        of single reads, each request alone (one persistent client, sequential).

Credentials and region come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION), as bench-scale.sh sets them.
"""
import hashlib
import itertools
import math
import sys
import threading
import time

import boto3
from botocore.config import Config

THREADS = 16
APPS, ENVS = 50, 5
# Item i belongs to app{i % 50} and env{i % 5}; as 5 divides 50 the application decides the
# environment (app7 only has env2), so the pages read app8/env3: COUNT / 50 items of each kind.
# The as-named-in-the-brief app7/env3 prefix, which holds nothing, is measured too.
APP, ENV, EMPTY_APP = "app8", "env3", "app7"
ONE = 8  # app8/env3: the item read by GetParameter and GetSecretValue
# A measure takes PAGE_N requests; SLOW_N once one request took over SLOW_S seconds, or once
# it has run BUDGET_S seconds (so a page that scans the whole store keeps the run bounded).
PAGE_N, SLOW_N, SLOW_S, BUDGET_S = 200, 20, 2.0, 60.0


def parameter_name(i):
    return "/copilot/app%d/env%d/secrets/s%d" % (i % APPS, i % ENVS, i)


def secret_name(i):
    return "app%d/env%d/secret%d" % (i % APPS, i % ENVS, i)


def value(i):
    return hashlib.sha1(b"%d" % i).hexdigest()  # 40 characters


def tags(i):
    return [{"Key": "copilot-application", "Value": "app%d" % (i % APPS)},
            {"Key": "copilot-environment", "Value": "env%d" % (i % ENVS)}]


def client(service, endpoint, **config):
    # boto3's default session is not thread-safe: a session (and so a client) of its own.
    return boto3.session.Session().client(service, endpoint_url=endpoint, config=Config(**config))


def put_parameter(c, i):
    c.put_parameter(Name=parameter_name(i), Value=value(i), Type="SecureString", Tags=tags(i))


def create_secret(c, i):
    c.create_secret(Name=secret_name(i), SecretString=value(i), Tags=tags(i))


def load_kind(endpoint, count, service, write, label):
    indices = itertools.count()
    lock = threading.Lock()
    failed = []

    def worker():
        c = client(service, endpoint, max_pool_connections=THREADS,
                   retries={"max_attempts": 1, "mode": "standard"})
        while not failed:
            with lock:
                i = next(indices)
            if i >= count:
                return
            try:
                write(c, i)
            except Exception as e:  # noqa: BLE001 - any failure ends the load
                failed.append("%s #%d: %s" % (label, i, e))
                return

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failed:
        sys.exit("load failed: " + failed[0])
    print("%-40s %7d in %7.1f s = %6.0f writes/s" % (label, count, elapsed, count / elapsed), flush=True)


def load(endpoint, count):
    load_kind(endpoint, count, "ssm", put_parameter, "PutParameter (SecureString, 2 tags)")
    load_kind(endpoint, count, "secretsmanager", create_secret, "CreateSecret (2 tags)")


def percentile(sorted_values, q):
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def pages(endpoint):
    config = dict(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=600)
    ssm, sm = client("ssm", endpoint, **config), client("secretsmanager", endpoint, **config)
    prefix, empty_prefix = "/copilot/%s/%s/secrets/" % (APP, ENV), "/copilot/%s/%s/secrets/" % (EMPTY_APP, ENV)
    one = ONE
    assert parameter_name(one).startswith(prefix)
    # (label, call, the items of its answer, whether they may be none)
    measures = [
        ("GetParametersByPath %s (10)" % prefix,
         lambda: ssm.get_parameters_by_path(Path=prefix, Recursive=True, WithDecryption=True, MaxResults=10),
         "Parameters", False),
        ("GetParametersByPath %s (10, empty)" % empty_prefix,
         lambda: ssm.get_parameters_by_path(Path=empty_prefix, Recursive=True, WithDecryption=True, MaxResults=10),
         "Parameters", True),
        ("DescribeParameters tag:copilot-environment=%s (50)" % ENV,
         lambda: ssm.describe_parameters(
             ParameterFilters=[{"Key": "tag:copilot-environment", "Values": [ENV]}], MaxResults=50),
         "Parameters", False),
        ("ListSecrets name=%s/%s/ (50)" % (APP, ENV),
         lambda: sm.list_secrets(Filters=[{"Key": "name", "Values": ["%s/%s/" % (APP, ENV)]}], MaxResults=50),
         "SecretList", False),
        ("ListSecrets name=%s/%s/ (50, empty)" % (EMPTY_APP, ENV),
         lambda: sm.list_secrets(Filters=[{"Key": "name", "Values": ["%s/%s/" % (EMPTY_APP, ENV)]}], MaxResults=50),
         "SecretList", True),
        ("ListSecrets tag-value=%s (50)" % ENV,
         lambda: sm.list_secrets(Filters=[{"Key": "tag-value", "Values": [ENV]}], MaxResults=50),
         "SecretList", False),
        ("ListSecrets, no filter (100)",
         lambda: sm.list_secrets(MaxResults=100), "SecretList", False),
        ("GetSecretValue %s" % secret_name(one),
         lambda: sm.get_secret_value(SecretId=secret_name(one)), None, False),
        ("GetParameter %s (decrypted)" % parameter_name(one),
         lambda: ssm.get_parameter(Name=parameter_name(one), WithDecryption=True), None, False),
    ]
    print("%-60s %4s %6s %9s %9s" % ("request", "n", "items", "p50 ms", "p99 ms"))
    for label, call, key, may_be_empty in measures:
        # The first request checks the answer (a benchmark never measures a refusal or a
        # wrongly empty page) and decides how many follow.
        start = time.perf_counter()
        answer = call()
        first = time.perf_counter() - start
        if key is None:
            got = answer.get("SecretString") or answer["Parameter"]["Value"]
            if got != value(one):
                sys.exit("%s: answered %r, not %r" % (label, got, value(one)))
            items = 1
        else:
            items = len(answer[key])
            if not items and not may_be_empty:
                sys.exit("%s: the first page is empty" % label)
            first_item = answer[key][0] if items else {}
            if "Value" in first_item and first_item["Value"] != value(int(first_item["Name"].rsplit("/s", 1)[1])):
                sys.exit("%s: a wrong value in the page" % label)
        wanted = SLOW_N if first > SLOW_S else PAGE_N
        times = []
        began = time.perf_counter()
        while len(times) < wanted:
            start = time.perf_counter()
            call()
            took = time.perf_counter() - start
            times.append(took)
            if took > SLOW_S or start + took - began > BUDGET_S:
                wanted = min(wanted, max(SLOW_N, len(times)))
        times.sort()
        print("%-60s %4d %6d %9.1f %9.1f" % (label, len(times), items,
                                             percentile(times, 0.50) * 1000, percentile(times, 0.99) * 1000),
              flush=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "load":
        load(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "pages":
        pages(sys.argv[2])
    else:
        sys.exit("usage: bench-scale-load.py load ENDPOINT COUNT | pages ENDPOINT")


if __name__ == "__main__":
    main()
