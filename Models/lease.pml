/*
 * Models/lease.pml: the lease, the fencing and the claim / deliver / record steps of dutyd with several
 * instances on one PostgreSQL database (issue 17). The protocol is specified in docs/lease-protocol.md; the
 * names below (A1, A2, P1, ...) refer to that document. Checked by Models/check.sh (`make model-check`).
 *
 * One process per instance, one process for the environment (time and faults). Time is abstract:
 *   fresh[i]     instance i's *local* view of its lease is younger than TTL - margin on its monotonic clock
 *                (CLOCK_BOOTTIME). A successful acquire or renewal makes it true; the environment makes it false
 *                ("the holder did not renew in time": a pause, a partition, a slow renewal), a bounded number of
 *                times (STALES).
 *   dbExpired    the database's truth: now() >= lease.expires_at (or released). By A1 (bounded drift) the
 *                database lease can expire only after the holder's local view went stale.
 *   inWindow[i]  instance i passed its final lease check and its side effect has not happened yet. By A2
 *                (bounded window) the check-to-visible time is at most W < margin, so the holder's view cannot go
 *                stale in between.
 *   leads[i]     what instance i *believes* ("I lead"), separate from the database's truth.
 * Every database transaction is one atomic step (PostgreSQL transactions; fenced writes lock the lease row FOR
 * SHARE, so they serialise with acquisitions). The side effect (journal entry, mail) is its own step: it is not
 * atomic with any database write, and an instance may be delayed arbitrarily between any two steps (a pause).
 *
 * Switches (spin -D...):
 *   N, R                       instances (2..3) and reminders (1..3)
 *   STALES, CRASHES, FAILS, STOPS   fault budgets (missed renewals, crashes, failed sends, graceful stops)
 *   RELAY                      the channel cannot be queried (sendmail to a relay; another host's journal): the
 *                              reconciliation cannot ask it, so it sends again with the same Message-ID
 *   P1_ONLY                    leave out the assertions of P3 and P4 (a mutation's counterexample is then a
 *                              duplicate side effect, not merely a stale write)
 *   Variants that must still hold:
 *   EPOCH_ONLY_FENCE           ledger writes check the lease epoch but not its expiry
 *   NO_ROW_FENCE               ledger writes do not check the row's epoch (the lease epoch still is)
 *   Mutations, each expected to yield a counterexample (Models/check.sh asserts that spin finds one):
 *   NO_FENCING                 ledger writes do not check any epoch (neither the lease's nor the row's)
 *   NO_LEASE_FENCE             ledger writes do not check the lease epoch (the row's epoch still is)
 *   NO_FINAL_CHECK             no local lease check immediately before the side effect
 *   PAUSE_IN_WINDOW            drops A2: a pause between the final check and the side effect may outlast the lease
 *   CLOCK_DRIFT                drops A1: the database lease may expire while the holder's clock says it is fresh
 *                              (slow clock, DB clock stepped forward, a clock that stops while the process is
 *                              suspended)
 *   NO_RECONCILE               a new leader re-sends rows left delivering without asking the channel
 *   NO_SWEEP                   a new leader does not reconcile at all (refutes liveness, P2)
 *   RELAY_STRICT               (with RELAY) demand P1 of a relay anyway: at-least-once gives a second copy
 *   HOST_MESSAGE_ID            (with RELAY) the Message-ID depends on the sending instance (its host name)
 */

#ifndef N
#define N 2
#endif
#ifndef R
#define R 2
#endif
#ifndef STALES
#define STALES 2
#endif
#ifndef CRASHES
#define CRASHES 1
#endif
#ifndef FAILS
#define FAILS 1
#endif
#ifndef STOPS
#define STOPS 1
#endif

#define NONE      255

/* ledger row states (delivery.state) */
mtype = { PLANNED, DELIVERING, DELIVERED, FAILED };

/* ---------------------------------------------------------------- the database */
byte dbEpoch = 0;          /* lease.epoch; 0: never held */
byte dbHolder = NONE;      /* lease.holder */
bool dbExpired = true;     /* now() >= lease.expires_at (or released) */
mtype rowState[R];         /* delivery.state */
byte rowEpoch[R];          /* delivery.epoch: the epoch of the last claim */

/* ---------------------------------------------------------------- the channel (journal / mailbox) */
byte sent[R];              /* side effects (entries, messages handed over) per reminder */
byte ids[R];               /* RELAY: the set of distinct Message-IDs the recipient got (a bit per id) */

/* ---------------------------------------------------------------- the instances' local state */
bool leads[N];             /* believes it leads */
byte myEpoch[N];           /* the epoch it believes it holds */
bool fresh[N];             /* local lease view younger than TTL - margin */
bool inWindow[N];          /* between a passed final check and the side effect */
byte fault[N];             /* set by the environment: 1 crash and restart, 2 crash for good */
bool down[N];              /* crashed for good */
byte downs;                /* how many are down for good (at most N - 1: "once some instance is up") */

/* ---------------------------------------------------------------- fault budgets */
byte stalesLeft = STALES;
byte crashesLeft = CRASHES;
byte failsLeft = FAILS;
byte stopsLeft = STOPS;

/* the condition every ledger write adds (docs/lease-protocol.md, "Fencing") */
#if defined(NO_FENCING) || defined(NO_LEASE_FENCE)
#define LEASE_OK(e) true
#elif defined(EPOCH_ONLY_FENCE)
#define LEASE_OK(e) (dbEpoch == (e))
#else
#define LEASE_OK(e) (dbEpoch == (e) && !dbExpired)
#endif
#if defined(NO_FENCING) || defined(NO_ROW_FENCE)
#define ROW_IS(r, e) true
#else
#define ROW_IS(r, e) (rowEpoch[r] == (e))
#endif

/* Recording a delivery. P3: nothing is recorded delivered that the channel does not have. P4: an instance that
 * lost the lease (a newer epoch was taken) cannot mark anything delivered afterwards. */
#ifdef P1_ONLY
#define RECORD_DELIVERED(r) rowState[r] = DELIVERED; rowEpoch[r] = 0
#else
#define RECORD_DELIVERED(r) assert(sent[r] > 0); assert(dbEpoch == myEpoch[i]); rowState[r] = DELIVERED; rowEpoch[r] = 0
#endif

#if R == 1
#define ALL_DELIVERED (rowState[0] == DELIVERED)
#elif R == 2
#define ALL_DELIVERED (rowState[0] == DELIVERED && rowState[1] == DELIVERED)
#else
#define ALL_DELIVERED (rowState[0] == DELIVERED && rowState[1] == DELIVERED && rowState[2] == DELIVERED)
#endif

/* P2 (liveness): every due reminder is eventually delivered (checked with weak fairness, ./pan -a -f) */
ltl live { <> ALL_DELIVERED }

/* The side effect. P1: never a second side effect for one reminder. On a queryable channel the side effect
 * itself must be unique; on a relay (RELAY) only the Message-ID the recipient sees must be (it drops copies). */
inline sideEffect(r) {
    printf("@ instance %d (epoch %d) SENDS reminder %d (the channel already has %d)\n", i, myEpoch[i], r, sent[r]);
    assert(leads[i] && myEpoch[i] != 0);   /* only an instance that believes it leads sends */
#ifdef RELAY
#ifdef HOST_MESSAGE_ID
    ids[r] = ids[r] | (1 << i);
#else
    ids[r] = ids[r] | 1;
#endif
    assert(ids[r] == 1 || ids[r] == 2 || ids[r] == 4);   /* one Message-ID per reminder */
#ifdef RELAY_STRICT
    assert(sent[r] == 0);                                  /* (not promised on a relay: at-least-once) */
#endif
#else
    assert(sent[r] == 0);
#endif
    sent[r]++
}

/* Give up leadership (a failed check or renewal, a rejected fenced write): from now on the instance acts as a
 * follower and must acquire a new epoch (and reconcile) before it sends anything again. */
inline stepDown() {
    leads[i] = false; fresh[i] = false; inWindow[i] = false; myEpoch[i] = 0
}

/* The send path of a row this instance holds (claimed or taken over with its epoch): final lease check, side
 * effect, record. Sets `lost` when the instance must step down. */
inline deliver(r) {
    /* graceful stop (SIGTERM) before the side effect: unclaim the row, release the lease, go */
    if
    :: true
    :: atomic { stopsLeft > 0 && fault[i] == 0 -> stopsLeft--;
           if
           :: LEASE_OK(myEpoch[i]) && rowState[r] == DELIVERING && ROW_IS(r, myEpoch[i]) ->
               rowState[r] = PLANNED; rowEpoch[r] = 0
           :: else -> skip
           fi;
           if   /* release: UPDATE dutyd_lease SET expires_at = '-infinity' WHERE epoch = mine */
           :: dbEpoch == myEpoch[i] && !dbExpired -> dbExpired = true; dbHolder = NONE
           :: else -> skip
           fi;
           printf("@ instance %d (epoch %d) stops (SIGTERM): unclaims reminder %d (row now %e), releases its lease\n",
                  i, myEpoch[i], r, rowState[r]);
           stepDown(); lost = true }
    fi;
    if
    :: lost -> skip
    :: else ->
        /* final lease check, immediately before the side effect: the local view must be fresh; if it went stale,
         * one synchronous renewal may make it fresh again (same epoch, only while the database lease is still
         * ours and unexpired). */
        atomic {
#ifdef NO_FINAL_CHECK
            inWindow[i] = true
#else
            if
            :: fresh[i] -> inWindow[i] = true;
               printf("@ instance %d (epoch %d) final check passed for reminder %d\n", i, myEpoch[i], r)
            :: !fresh[i] && dbEpoch == myEpoch[i] && !dbExpired -> fresh[i] = true; inWindow[i] = true;
               printf("@ instance %d (epoch %d) final check: stale view, renewal succeeds; passed for reminder %d\n",
                      i, myEpoch[i], r)
            :: else -> printf("@ instance %d (epoch %d) final check: lease view stale, steps down\n", i, myEpoch[i]);
               stepDown(); lost = true
            fi
#endif
        };
        if
        :: lost -> skip
        :: else ->
            /* the side effect: succeeds, or fails cleanly (nothing visible; a temporary error, retried) */
            if
            :: atomic { sideEffect(r); inWindow[i] = false; ok = true }
            :: atomic { failsLeft > 0 -> failsLeft--; inWindow[i] = false; ok = false;
                   printf("@ instance %d (epoch %d) send of reminder %d FAILS (temporary)\n", i, myEpoch[i], r) }
            fi;
            /* record: fenced by the lease epoch and the row's epoch */
            atomic {
                if
                :: LEASE_OK(myEpoch[i]) && rowState[r] == DELIVERING && ROW_IS(r, myEpoch[i]) ->
                    if
                    :: ok -> RECORD_DELIVERED(r);
                       printf("@ instance %d (epoch %d) records reminder %d delivered\n", i, myEpoch[i], r)
                    :: else -> rowState[r] = FAILED; rowEpoch[r] = 0;
                       printf("@ instance %d (epoch %d) records reminder %d failed (to retry)\n", i, myEpoch[i], r)
                    fi;
                    ok = false
                :: else ->
                    printf("@ instance %d (epoch %d) record of reminder %d rejected (fenced), steps down\n",
                           i, myEpoch[i], r);
                    stepDown(); lost = true; ok = false   /* the row stays delivering: the next leader reconciles it */
                fi
            }
        fi
    fi
}

proctype Instance(byte i) {
    byte r;          /* the row in hand */
    byte seen;       /* the row's epoch as read (reconciliation) */
    bool present;    /* what the channel answered */
    bool ok;
    bool lost;

    /* ---------------- follower: answer queries; take the lease when it is free or expired */
end_follower:
    do
    :: {
        atomic {
            dbExpired ->
            assert(dbEpoch < 255); dbEpoch++; dbHolder = i; dbExpired = false;
            myEpoch[i] = dbEpoch; leads[i] = true; fresh[i] = true; lost = false;
            printf("@ instance %d ACQUIRES the lease: epoch %d\n", i, dbEpoch)
        };
        /* ---------------- new leader: reconcile every row left delivering before sending anything */
        r = 0;
        do
        :: lost -> break
#ifdef NO_SWEEP
        :: !lost -> break   /* mutation: no reconciliation at all */
#else
        :: !lost && r == R -> break
#endif
        :: !lost && r < R ->
            if
            :: atomic { rowState[r] == DELIVERING -> seen = rowEpoch[r] };
#if defined(NO_RECONCILE) || defined(RELAY)
                present = false;                    /* not asked (RELAY: cannot be asked) */
#else
                /* ask the channel: DUTY_KEY in the journal, Message-ID in the mailbox */
                atomic { present = (sent[r] > 0);
                  printf("@ instance %d (epoch %d) reconciles reminder %d (delivering, epoch %d): in the channel: %d\n",
                         i, myEpoch[i], r, seen, present) }
#endif
                if
                :: present ->   /* it is there: record it (fenced; compare-and-set on the epoch read) */
                    atomic {
                        if
                        :: LEASE_OK(myEpoch[i]) && rowState[r] == DELIVERING && ROW_IS(r, seen) -> RECORD_DELIVERED(r)
                        :: else -> stepDown(); lost = true
                        fi;
                        present = false; seen = 0
                    }
                :: else ->      /* it is not: take the row over with my epoch (fenced, same compare-and-set), send */
                    atomic {
                        if
                        :: LEASE_OK(myEpoch[i]) && rowState[r] == DELIVERING && ROW_IS(r, seen) ->
                           rowEpoch[r] = myEpoch[i];
                           printf("@ instance %d (epoch %d) takes over reminder %d\n", i, myEpoch[i], r)
                        :: else -> stepDown(); lost = true
                        fi;
                        seen = 0
                    };
                    if
                    :: !lost -> deliver(r)
                    :: else -> skip
                    fi
                fi
            :: atomic { rowState[r] != DELIVERING -> skip }
            fi;
            r++
        od;
        /* ---------------- leader: claim each due row (planned, or failed with a retry time), send, record */
        do
        :: lost -> break
        :: !lost ->
            atomic {   /* SELECT the first due row */
                r = 0;
                do
                :: r < R && rowState[r] != PLANNED && rowState[r] != FAILED -> r++
                :: else -> break
                od
            };
            if
            :: r < R ->
                atomic {   /* claim: fenced */
                    if
                    :: LEASE_OK(myEpoch[i]) && (rowState[r] == PLANNED || rowState[r] == FAILED) ->
                        rowState[r] = DELIVERING; rowEpoch[r] = myEpoch[i];
                        printf("@ instance %d (epoch %d) claims reminder %d\n", i, myEpoch[i], r)
                    :: else -> printf("@ instance %d (epoch %d) claim rejected (fenced), steps down\n", i, myEpoch[i]);
                        stepDown(); lost = true
                    fi
                };
                if
                :: !lost -> deliver(r)
                :: else -> skip
                fi
            :: else ->
                /* idle: nothing due. The renewal task notices a lost lease and steps down. */
end_idle:
                atomic { !fresh[i] && (dbEpoch != myEpoch[i] || dbExpired) -> stepDown(); lost = true }
            fi
        od
       } unless {
        atomic {
            fault[i] != 0 ->
            printf("@ instance %d CRASHES (%d: 1 restarts, 2 stays down)\n", i, fault[i]);
            /* crashed: everything local is gone; a side effect not yet made is never made */
            leads[i] = false; fresh[i] = false; inWindow[i] = false; myEpoch[i] = 0;
            lost = false; ok = false; present = false; r = 0; seen = 0;
            if
            :: fault[i] == 2 -> down[i] = true
            :: else -> skip
            fi;
            fault[i] = 0
        };
end_down:
        !down[i]    /* restarted by systemd, or down for good */
       }
    od
}

/* Time and faults. */
#ifdef PAUSE_IN_WINDOW
#define NOT_IN_WINDOW true
#else
#define NOT_IN_WINDOW !inWindow[dbHolder]
#endif
active proctype Environment() {
    byte j;
end_env:
    do
    /* the holder misses its renewal deadline (paused, partitioned, slow): its local view goes stale.
     * A2: not while it is between its final check and its side effect. */
    :: atomic { stalesLeft > 0 && !dbExpired && fresh[dbHolder] && NOT_IN_WINDOW ->
                stalesLeft--; fresh[dbHolder] = false;
                printf("@ instance %d misses its renewal (paused): its lease view is stale\n", dbHolder) }
    /* the database lease expires. A1: only after the holder's local view went stale (or it crashed). */
    :: atomic { !dbExpired && !fresh[dbHolder] -> printf("@ the lease of epoch %d expires in the database\n", dbEpoch);
                dbExpired = true; dbHolder = NONE }
#ifdef CLOCK_DRIFT
    /* without A1: the database lease may expire while the holder's clock still says fresh */
    :: atomic { stalesLeft > 0 && !dbExpired && fresh[dbHolder] -> stalesLeft--;
                printf("@ the lease of epoch %d expires in the database while its holder's clock says fresh\n",
                       dbEpoch);
                dbExpired = true; dbHolder = NONE }
#endif
    /* a crash (kill -9, host down); at most N - 1 instances stay down for good */
    :: atomic {
        crashesLeft > 0 ->
        crashesLeft--;
        j = 0;
        do
        :: j < N - 1 -> j++
        :: break
        od;
        if
        :: fault[j] == 0 && !down[j] -> fault[j] = 1
        :: fault[j] == 0 && !down[j] && downs < N - 1 -> fault[j] = 2; downs++
        :: else -> skip
        fi;
        j = 0
       }
    od
}

init {
    byte k;
    atomic {
        k = 0;
        do
        :: k < R -> rowState[k] = PLANNED; k++
        :: else -> break
        od;
        k = 0;
        do
        :: k < N -> run Instance(k); k++
        :: else -> break
        od
    }
}
