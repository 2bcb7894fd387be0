#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for testing the SLURM
# profile (workflow/profiles/slurm) end to end. Not for production use.
#
#   sudo workflow/scripts/slurm_local.sh start    # install if needed, start, wait until idle
#   sudo workflow/scripts/slurm_local.sh status   # daemons and `sinfo`; exit 0 only if ready
#   sudo workflow/scripts/slurm_local.sh stop     # stop the daemons this script started
#
# What `start` does (every step is skipped when already done, so it is idempotent):
#   1. installs the Debian packages if a daemon is missing (slurmctld slurmd
#      slurm-client slurmdbd munge mariadb-server), via apt-get;
#   2. writes /etc/slurm/slurm.conf and /etc/slurm/slurmdbd.conf: cluster "local",
#      one node "localhost" with all CPUs of this machine, partition "debug";
#      no cgroups (proctrack/linuxproc, task/none), so it runs in containers and
#      VMs without systemd;
#   3. starts munged, a private MariaDB (127.0.0.1, port $SLURM_LOCAL_DB_PORT,
#      data under the state directory), slurmdbd, slurmctld and slurmd, directly
#      (no systemd needed), all bound to localhost;
#   4. waits until `sinfo` reports the node idle.
#
# Accounting (slurmdbd + MariaDB) is there because snakemake-executor-plugin-slurm
# asks `sacct` for job states by default, as it would on a real site.
#
# It refuses to overwrite a slurm.conf it did not write, so it cannot clobber
# the configuration of a real cluster. Runs as root.
#
# Environment knobs:
#   SLURM_LOCAL_STATE    state directory (spool, logs, pid files, database)
#                        default: /var/lib/slurm-local
#   SLURM_LOCAL_DB_PORT  TCP port of the private MariaDB on 127.0.0.1; default 3307
#   SLURM_LOCAL_TIMEOUT  seconds to wait for each daemon; default 60
#   SLURM_LOCAL_NO_INSTALL=1  never call apt-get (fail instead)
set -euo pipefail

STATE=${SLURM_LOCAL_STATE:-/var/lib/slurm-local}
DB_PORT=${SLURM_LOCAL_DB_PORT:-3307}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
CONF_DIR=/etc/slurm
SLURM_CONF_FILE=$CONF_DIR/slurm.conf
SLURMDBD_CONF_FILE=$CONF_DIR/slurmdbd.conf
MARKER="# Written by workflow/scripts/slurm_local.sh: single-node test cluster."
CLUSTER=local
NODE=localhost
PARTITION=debug
DB_NAME=slurm_acct_db
DB_USER=slurm
PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)

RUN=$STATE/run
LOG=$STATE/log
DB_DIR=$STATE/mysql
DB_SOCKET=$DB_DIR/mysqld.sock # the server (user mysql) writes socket and pid file here
DB_PASS_FILE=$STATE/db-password

# The cluster's own config, whatever the caller's environment says.
export SLURM_CONF=$SLURM_CONF_FILE

say() { printf 'slurm_local: %s\n' "$*"; }
die() {
    printf 'slurm_local: ERROR: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (daemons, /etc/slurm, apt-get); try sudo $0 $*"
}

# --- processes ---------------------------------------------------------------

pid_alive() { # pidfile
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    # /proc rather than kill -0, so that `status` also works for other users.
    [[ $pid =~ ^[0-9]+$ ]] && [[ -d /proc/$pid ]]
}

stop_pidfile() { # name pidfile
    local name=$1 file=$2 pid i
    if ! pid_alive "$file"; then
        rm -f "$file"
        return 0
    fi
    pid=$(<"$file")
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop in 20 s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$file"
}

wait_for() { # command... : poll for up to TIMEOUT seconds until it succeeds
    local i
    for ((i = 0; i < TIMEOUT * 2; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

show_log() { # file
    if [[ -s $1 ]]; then
        echo "---- last lines of $1 ----" >&2
        tail -n 25 "$1" >&2
        echo "----" >&2
    fi
}

# --- installation ------------------------------------------------------------

have_binaries() {
    local bin
    for bin in slurmctld slurmd slurmdbd sbatch sinfo squeue sacct sacctmgr scontrol \
        munged munge unmunge mariadbd mariadb mariadb-install-db mariadb-admin; do
        command -v "$bin" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$bin" \
            >/dev/null 2>&1 || return 1
    done
}

install_packages() {
    export PATH=$PATH:/usr/sbin:/sbin
    if have_binaries; then
        return 0
    fi
    [[ ${SLURM_LOCAL_NO_INSTALL:-0} == 1 ]] &&
        die "SLURM/munge/MariaDB binaries missing and SLURM_LOCAL_NO_INSTALL=1 (need: ${PACKAGES[*]})"
    command -v apt-get >/dev/null 2>&1 ||
        die "SLURM/munge/MariaDB binaries missing and no apt-get to install ${PACKAGES[*]}"
    say "installing ${PACKAGES[*]} (apt-get)"
    # Debian packages try to start their services; without systemd that fails
    # harmlessly (invoke-rc.d), and we start the daemons ourselves below.
    apt-get update -q >"$LOG/apt.log" 2>&1 || {
        show_log "$LOG/apt.log"
        die "apt-get update failed"
    }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${PACKAGES[@]}" >>"$LOG/apt.log" 2>&1 || {
        show_log "$LOG/apt.log"
        die "apt-get install ${PACKAGES[*]} failed"
    }
    have_binaries || die "installed ${PACKAGES[*]} but some binaries are still missing"
}

# --- configuration -----------------------------------------------------------

ours_or_absent() { # file
    [[ ! -e $1 ]] || head -n 1 "$1" | grep -qxF "$MARKER"
}

write_if_changed() { # target mode content-file
    local target=$1 mode=$2 tmp=$3
    if [[ -e $target ]] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        return 0
    fi
    if [[ -e $target ]] && any_slurm_daemon_running; then
        say "WARNING: $target changes while daemons run; run '$0 stop' and start again"
    fi
    install -m "$mode" -o root -g root "$tmp" "$target"
    rm -f "$tmp"
    say "wrote $target"
}

write_config() {
    local cpus mem_kb real_mem tmp
    for f in "$SLURM_CONF_FILE" "$SLURMDBD_CONF_FILE"; do
        ours_or_absent "$f" ||
            die "$f exists and was not written by this script; refusing to overwrite a real cluster's configuration"
    done
    mkdir -p "$CONF_DIR"
    cpus=$(nproc)
    mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    # Leave 10% (at least 512 MB) to the system: slurmd marks the node invalid
    # if RealMemory exceeds what it measures.
    real_mem=$((mem_kb * 9 / 10 / 1024))
    ((mem_kb / 1024 - real_mem >= 512)) || real_mem=$((mem_kb / 1024 - 512))
    ((real_mem >= 256)) || real_mem=256

    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
# Regenerated by '$0 start'; edit the script, not this file.
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: track job processes through /proc, no task affinity/containment.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
# Finished jobs stay visible to squeue/scontrol for 5 minutes.
MinJobAge=300
# Accounting: sacct answers from slurmdbd (the executor plugin's default).
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$NODE
AccountingStoragePort=6819
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    write_if_changed "$SLURM_CONF_FILE" 0644 "$tmp"

    [[ -s $DB_PASS_FILE ]] || {
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DB_PASS_FILE")
    }
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
AuthType=auth/munge
DbdHost=$NODE
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=$DB_USER
StoragePass=$(<"$DB_PASS_FILE")
StorageLoc=$DB_NAME
EOF
    # slurmdbd insists on mode 600, owned by SlurmUser (it holds a password).
    write_if_changed "$SLURMDBD_CONF_FILE" 0600 "$tmp"
}

# --- daemons -----------------------------------------------------------------

munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
    if munge_works; then
        return 0
    fi
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key --force
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        fi
    fi
    chown -R munge:munge /etc/munge
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    say "starting munged"
    # munged refuses to run as root; it daemonises and writes its pid file
    # into /run/munge (which the munge user owns).
    rm -f /run/munge/munged.pid
    runuser -u munge -- munged 2>"$LOG/munged.err" </dev/null >/dev/null 9>&- || true
    wait_for test -s /run/munge/munged.pid || true
    cp /run/munge/munged.pid "$RUN/munged.pid" 2>/dev/null || true
    wait_for munge_works || {
        show_log "$LOG/munged.err"
        show_log /var/log/munge/munged.log
        die "munged does not answer (munge -n | unmunge fails)"
    }
}

db_ping() { mariadb-admin --no-defaults --socket="$DB_SOCKET" -uroot ping; }

db_sql() { mariadb --no-defaults --socket="$DB_SOCKET" -uroot -e "$1"; }

start_mariadb() {
    if pid_alive "$RUN/mariadbd.pid" && db_ping >/dev/null 2>&1; then
        return 0
    fi
    if [[ ! -d $DB_DIR/mysql ]]; then
        say "initialising the private MariaDB data directory $DB_DIR"
        mkdir -p "$DB_DIR"
        chown mysql:mysql "$DB_DIR"
        mariadb-install-db --no-defaults --user=mysql --datadir="$DB_DIR" \
            --auth-root-authentication-method=socket --skip-test-db \
            >"$LOG/mariadb-install.log" 2>&1 || {
            show_log "$LOG/mariadb-install.log"
            die "mariadb-install-db failed"
        }
    fi
    chown -R mysql:mysql "$DB_DIR"
    say "starting MariaDB on 127.0.0.1:$DB_PORT"
    setsid mariadbd --no-defaults --user=mysql --datadir="$DB_DIR" \
        --socket="$DB_SOCKET" --pid-file="$DB_DIR/mariadbd.pid" \
        --bind-address=127.0.0.1 --port="$DB_PORT" \
        --innodb-buffer-pool-size=64M --innodb-lock-wait-timeout=900 \
        --max-allowed-packet=16M </dev/null >"$LOG/mariadbd.out" 2>&1 9>&- &
    echo $! >"$RUN/mariadbd.pid" # setsid execs (no fork): $! is the server itself
    disown || true
    wait_for db_ping || {
        show_log "$LOG/mariadbd.out"
        die "MariaDB did not start"
    }
    db_sql "CREATE DATABASE IF NOT EXISTS $DB_NAME;
            CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$(<"$DB_PASS_FILE")';
            CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$(<"$DB_PASS_FILE")';
            GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
            GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
            FLUSH PRIVILEGES;" || die "could not create the accounting database"
}

slurmdbd_up() { sacctmgr -n -P show cluster format=cluster; }

start_slurmdbd() {
    if pid_alive "$RUN/slurmdbd.pid" && slurmdbd_up >/dev/null 2>&1; then
        return 0
    fi
    say "starting slurmdbd"
    slurmdbd >"$LOG/slurmdbd.err" 2>&1 </dev/null 9>&- || {
        show_log "$LOG/slurmdbd.err"
        show_log "$LOG/slurmdbd.log"
        die "slurmdbd failed to start"
    }
    wait_for slurmdbd_up || {
        show_log "$LOG/slurmdbd.log"
        die "slurmdbd does not answer (sacctmgr show cluster fails)"
    }
    if ! sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
}

ctld_up() { scontrol ping 2>/dev/null | grep -q UP; }

start_slurmctld() {
    if pid_alive "$RUN/slurmctld.pid"; then
        return 0
    fi
    say "starting slurmctld"
    slurmctld >"$LOG/slurmctld.err" 2>&1 </dev/null 9>&- || {
        show_log "$LOG/slurmctld.err"
        show_log "$LOG/slurmctld.log"
        die "slurmctld failed to start"
    }
    wait_for ctld_up || {
        show_log "$LOG/slurmctld.log"
        die "slurmctld does not answer (scontrol ping)"
    }
}

start_slurmd() {
    if pid_alive "$RUN/slurmd.pid"; then
        return 0
    fi
    say "starting slurmd"
    # -N: this machine's hostname is not "localhost"; the node is.
    slurmd -N "$NODE" >"$LOG/slurmd.err" 2>&1 </dev/null 9>&- || {
        show_log "$LOG/slurmd.err"
        show_log "$LOG/slurmd.log"
        die "slurmd failed to start"
    }
}

node_state() { sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n 1; }

node_ready() {
    case $(node_state) in
    idle | mixed | allocated | completing) return 0 ;;
    *) return 1 ;;
    esac
}

wait_node() {
    local state
    if ! wait_for node_ready; then
        state=$(node_state)
        # A node left down/drained by an earlier run: resume it once.
        if [[ $state == down* || $state == drain* ]]; then
            scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
            wait_for node_ready && return 0
        fi
        show_log "$LOG/slurmd.log"
        show_log "$LOG/slurmctld.log"
        die "node $NODE is '$(node_state)' in sinfo, not idle"
    fi
}

any_slurm_daemon_running() {
    local d
    for d in slurmd slurmctld slurmdbd mariadbd; do
        pid_alive "$RUN/$d.pid" && return 0
    done
    return 1
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    require_root "$@"
    mkdir -p "$STATE/spool/slurmctld" "$STATE/spool/slurmd" "$RUN" "$LOG"
    chown root:root "$STATE" "$RUN"
    chmod 0755 "$STATE" "$RUN"
    install_packages
    write_config
    start_munge
    start_mariadb
    start_slurmdbd
    start_slurmctld
    start_slurmd
    wait_node
    say "cluster '$CLUSTER' ready: node $NODE ($(nproc) CPUs) in partition $PARTITION"
    sinfo
}

cmd_stop() {
    require_root "$@"
    local jobs=()
    # Cancel anything still queued so that the next start begins empty.
    if pid_alive "$RUN/slurmctld.pid"; then
        mapfile -t jobs < <(squeue -h -o %i 2>/dev/null || true)
        ((${#jobs[@]} == 0)) || scancel "${jobs[@]}" 2>/dev/null || true
    fi
    stop_pidfile slurmd "$RUN/slurmd.pid"
    stop_pidfile slurmctld "$RUN/slurmctld.pid"
    stop_pidfile slurmdbd "$RUN/slurmdbd.pid"
    stop_pidfile MariaDB "$RUN/mariadbd.pid"
    stop_pidfile munged "$RUN/munged.pid"
    say "stopped"
}

cmd_status() {
    local d ok=0
    if munge_works; then
        printf '%-10s running\n' munged
    else
        printf '%-10s not running\n' munged
        ok=1
    fi
    for d in mariadbd slurmdbd slurmctld slurmd; do
        if pid_alive "$RUN/$d.pid"; then
            printf '%-10s running (pid %s)\n' "$d" "$(<"$RUN/$d.pid")"
        else
            printf '%-10s not running\n' "$d"
            ok=1
        fi
    done
    if pid_alive "$RUN/slurmctld.pid"; then
        sinfo 2>&1 || true
    fi
    ((ok == 0)) && node_ready || return 1
}

# One start or stop at a time (several test sessions may share the machine).
# The daemons are started with fd 9 closed, so they never inherit the lock.
lock() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock -w $((TIMEOUT * 5)) 9 || die "another slurm_local.sh start/stop holds $STATE/.lock"
}

case ${1:-} in
start) require_root "$@" && lock && cmd_start "$@" ;;
stop) require_root "$@" && lock && cmd_stop "$@" ;;
status) cmd_status "$@" ;;
*) usage ;;
esac
