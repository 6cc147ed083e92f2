"""A Spark standalone cluster on this machine, for dbt-spark's `thrift` method (issue 26): a
master, two workers (1 core and a memory cap each) and a Spark Thrift Server submitted to the
master, each its own JVM, on free loopback ports. Its metastore (Derby), warehouse, logs and
temporary files live in one folder the caller owns.

Every JVM is started in a process group of its own (an executor is a child of its worker, in
the worker's group), so that `stop` ends them all, even after a failed start.

    with spark_cluster(folder) as cluster:
        ...  # dbt --target spark_thrift, with SMARTSESSIONS_THRIFT_PORT=cluster.thrift_port

By hand, `python -m smartsessions.spark.cluster FOLDER` starts one, prints the Thrift Server's
port and keeps it up until Ctrl-C (docs/spark.md).
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).parent
LOOPBACK = "127.0.0.1"
THRIFT_SERVER = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
# Instants are computed in UTC, on the driver and on every executor, whatever the machine's zone.
UTC = "-Duser.timezone=UTC"


def free_port() -> int:
    """A loopback port nobody listens on now (it could be taken before it is used: tolerated)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass
class SparkCluster:
    folder: Path
    workers: int = 2
    worker_memory: str = "1g"
    executor_memory: str = "512m"
    # hive.server2.authentication: NOSASL needs no SASL handshake on either side
    auth: str = "NOSASL"
    master_port: int = field(default_factory=free_port)
    thrift_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master_port}"

    def start(self, timeout: float = 180) -> float:
        """Start every JVM, wait until the Thrift Server answers `select 1`; seconds taken."""
        started = time.monotonic()
        for sub in ("logs", "tmp", "work", "conf"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._launch("master", self._master())
            for number in range(1, self.workers + 1):
                self._launch(f"worker{number}", self._worker())
            self._launch("thriftserver", self._thrift_server())
            self._wait_for_thrift(started + timeout)
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - started

    def stop(self, grace: float = 15) -> None:
        """The Thrift Server first (its executors end with it), then the workers, the master."""
        for name, process in reversed(list(self.processes.items())):
            _end_group(process, grace)
            del self.processes[name]

    def connect(self):
        """A PyHive connection to the Thrift Server."""
        from pyhive import hive

        return hive.connect(
            host=LOOPBACK, port=self.thrift_port, username="smartsessions", auth=self.auth
        )

    def log(self, name: str) -> Path:
        return self.folder / "logs" / f"{name}.log"

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "SPARK_HOME": str(SPARK_HOME),
            # an empty configuration folder: nothing from the machine's or the user's Spark
            "SPARK_CONF_DIR": str(self.folder / "conf"),
            "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_DAEMON_MEMORY": "512m",  # the master's and the workers' own JVMs
            "SPARK_DAEMON_JAVA_OPTS": f"{UTC} -Djava.io.tmpdir={self.folder / 'tmp'}",
        }

    def _master(self) -> list[str]:
        return [
            str(SPARK_HOME / "bin" / "spark-class"),
            "org.apache.spark.deploy.master.Master",
            *("--host", LOOPBACK, "--port", str(self.master_port)),
            *("--webui-port", str(free_port())),
        ]

    def _worker(self) -> list[str]:
        return [
            str(SPARK_HOME / "bin" / "spark-class"),
            "org.apache.spark.deploy.worker.Worker",
            *("--host", LOOPBACK, "--port", str(free_port())),
            *("--webui-port", str(free_port())),
            *("--cores", "1", "--memory", self.worker_memory),
            *("--work-dir", str(self.folder / "work")),
            self.master_url,
        ]

    def _thrift_server(self) -> list[str]:
        """As sbin/start-thriftserver.sh submits it (primary resource `spark-internal`)."""
        folder = self.folder
        driver_options = (
            f"{UTC} -Dderby.system.home={folder} -Dderby.stream.error.file={folder}/derby.log"
            f" -Djava.io.tmpdir={folder}/tmp"
        )
        conf = {
            "spark.executor.extraJavaOptions": f"{UTC} -Djava.io.tmpdir={folder}/tmp",
            "spark.executor.memory": self.executor_memory,
            "spark.executor.cores": "1",
            "spark.cores.max": str(self.workers),
            "spark.driver.host": LOOPBACK,
            "spark.driver.bindAddress": LOOPBACK,
            "spark.ui.enabled": "false",
            "spark.sql.warehouse.dir": f"{folder}/warehouse",
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={folder}/metastore_db;create=true"
            ),
            "spark.hadoop.hive.exec.scratchdir": f"{folder}/tmp/hive",
            # Hive's legacy authorizer, which never rewrites hive.metastore.filter.hook: the
            # default one does at the first CREATE TABLE, and every session's metastore client
            # is then incompatible and made again (see "hive.server2.enable.doAs" below)
            "spark.hadoop.hive.security.authorization.manager": (
                "org.apache.hadoop.hive.ql.security.authorization.DefaultHiveAuthorizationProvider"
            ),
            "spark.local.dir": f"{folder}/tmp",
            "spark.sql.session.timeZone": "UTC",
            # as dbt-spark's session method sets it; over Thrift its setting is ignored unless
            # prefixed (profiles.yml), and a plain PyHive session gets this one
            "spark.sql.ansi.enabled": "false",
            # as profiles.yml's spark target: small data, AQE off (UnionExec), parquet micros
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.adaptive.enabled": "false",
            "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        }
        hiveconf = {
            "hive.server2.thrift.bind.host": LOOPBACK,
            "hive.server2.thrift.port": str(self.thrift_port),
            "hive.server2.authentication": self.auth,
            # Queries run as the server's user, whatever the session's (no impersonation without
            # Kerberos here). With impersonation, or a filter hook that changes, a session whose
            # thread holds a metastore client of another user or setting makes a new one when it
            # closes, which loads Hive's function registry, and that fails in this wheel
            # (NoClassDefFoundError LlapSigner$Signable: it lacks hive-llap-common), killing
            # the close. Two sessions closing at once can still hit it: the profile's
            # `threads: 1` (docs/spark.md).
            "hive.server2.enable.doAs": "false",
        }
        return [
            str(SPARK_HOME / "bin" / "spark-submit"),
            *("--master", self.master_url),
            *("--class", THRIFT_SERVER, "--name", "smartsessions-thrift"),
            *("--driver-memory", "1g", "--driver-java-options", driver_options),
            *(arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")),
            "spark-internal",
            *(arg for key, value in hiveconf.items() for arg in ("--hiveconf", f"{key}={value}")),
        ]

    def _launch(self, name: str, command: list[str]) -> None:
        with open(self.log(name), "ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=self.folder,  # Derby or Hive may still drop a file in the current folder
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: see stop()
                preexec_fn=_die_with_parent,
            )

    def _wait_for_thrift(self, deadline: float) -> None:
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    code = process.returncode
                    raise RuntimeError(f"{name} ended (code {code}): see {self.log(name)}")
            try:
                # PyHive logs every refused connection: knock first
                socket.create_connection((LOOPBACK, self.thrift_port), timeout=1).close()
                with self.connect() as con, con.cursor() as cursor:
                    cursor.execute("select 1")
                    if cursor.fetchall() == [(1,)]:
                        return
            except Exception as error:  # not listening yet, or its session not ready
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"no Thrift Server on port {self.thrift_port}: {error}"
                    ) from error
            time.sleep(0.5)


def _die_with_parent() -> None:
    """In the child before it runs the JVM: SIGKILL when this process dies, even killed by
    SIGKILL itself, when stop() never runs (Linux's parent-death signal; it outlives exec, and
    an executor ends when its worker or its driver has gone)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _end_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the process's group (its shutdown hooks run), SIGKILL to what is left of it
    after `grace` seconds: an executor is in its worker's group and may outlive the worker."""
    _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _signal_group(process, 0) and time.monotonic() < deadline:
        process.poll()  # reaps the leader: a zombie would keep the group alive
        time.sleep(0.2)
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> bool:
    """Whether the group was still there to receive `sig` (0: only asks)."""
    try:
        os.killpg(process.pid, sig)
        return True
    except ProcessLookupError:
        return False


@contextmanager
def spark_cluster(folder: Path, **settings):
    cluster = SparkCluster(folder, **settings)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def main() -> None:
    """Start a cluster in the folder given, say how to reach it, stop it on Ctrl-C."""
    if len(sys.argv) != 2:
        sys.exit("usage: python -m smartsessions.spark.cluster FOLDER")
    cluster = SparkCluster(Path(sys.argv[1]).resolve())
    try:
        seconds = cluster.start()
        print(f"Spark cluster up in {seconds:.0f} s ({cluster.master_url}); for its builds:")
        print(f"export SMARTSESSIONS_THRIFT_PORT={cluster.thrift_port}", flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as error:
        sys.exit(f"the cluster did not start: {error}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
