package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * A target's queue of pending change sets that holds at most one exchange: what arrives while the target is busy or
 * down is merged into the one waiting, so a long outage costs one bounded change set, never a growing backlog.
 * The target's route takes it when its previous push is done, so pushes to one target never overlap or reorder.
 */
public final class MergingQueue extends AbstractQueue<Exchange> implements BlockingQueue<Exchange> {
    /** Epoch millis of the oldest event in a change set: the batch's latency is measured from it. */
    public static final String FIRST_EVENT_AT = "MirrorFirstEventAt";

    private final int maxPaths;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition filled = lock.newCondition();
    private Exchange pending;

    public MergingQueue(int maxPaths) {
        this.maxPaths = maxPaths;
    }

    @Override
    public boolean offer(Exchange e) {
        lock.lock();
        try {
            if (pending == null) {
                pending = e;
            } else {
                mergeVerify(e);
                ChangeSet merged = ChangeSets.merge(changeSet(pending), changeSet(e), maxPaths);
                pending.getIn().setBody(merged);
                Long a = pending.getIn().getHeader(FIRST_EVENT_AT, Long.class);
                Long b = e.getIn().getHeader(FIRST_EVENT_AT, Long.class);
                if (a == null || (b != null && b < a)) {
                    pending.getIn().setHeader(FIRST_EVENT_AT, b);
                }
            }
            filled.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A verify stays one while what merges with it is a list of changes: they become its known changes, whose fixes
     * it does not report as findings. Merged with a full sync it is just that full sync.
     */
    private void mergeVerify(Exchange e) {
        boolean pendingVerify = isVerify(pending);
        boolean arrivingVerify = isVerify(e);
        if (!pendingVerify && !arrivingVerify) {
            return;
        }
        ChangeSet a = known(pending, pendingVerify);
        ChangeSet b = known(e, arrivingVerify);
        ChangeSet k = a == null || b == null ? null : ChangeSets.merge(a, b, maxPaths);
        Message m = pending.getIn();
        if (k == null || ChangeSets.isFullSync(k)) {
            m.removeHeader(MirrorHeaders.VERIFY);
            m.removeHeader(MirrorHeaders.VERIFY_KNOWN);
        } else {
            m.setHeader(MirrorHeaders.VERIFY, Boolean.TRUE);
            m.setHeader(MirrorHeaders.VERIFY_KNOWN, k);
        }
    }

    private static boolean isVerify(Exchange e) {
        return Boolean.TRUE.equals(e.getIn().getHeader(MirrorHeaders.VERIFY, Boolean.class));
    }

    /** What a verify already knows; for any other exchange its change set (null: a full sync, nothing to tell). */
    private static ChangeSet known(Exchange e, boolean verify) {
        if (verify) {
            ChangeSet k = e.getIn().getHeader(MirrorHeaders.VERIFY_KNOWN, ChangeSet.class);
            return k != null ? k : ChangeSet.of(List.of());
        }
        ChangeSet cs = changeSet(e);
        return cs == null || ChangeSets.isFullSync(cs) ? null : cs;
    }

    /** The body as a change set; anything else (an empty body) asks for the whole tree, as the producer reads it. */
    private static ChangeSet changeSet(Exchange e) {
        Object body = e.getIn().getBody();
        return body instanceof ChangeSet cs ? cs : null;
    }

    @Override
    public void put(Exchange e) {
        offer(e);
    }

    @Override
    public boolean offer(Exchange e, long timeout, TimeUnit unit) {
        return offer(e);
    }

    @Override
    public Exchange poll() {
        try {
            return await(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public Exchange poll(long timeout, TimeUnit unit) throws InterruptedException {
        return await(unit.toNanos(timeout));
    }

    @Override
    public Exchange take() throws InterruptedException {
        return await(Long.MAX_VALUE);
    }

    /** Takes the pending change set, waiting up to {@code nanos} for one. */
    private Exchange await(long nanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (pending == null) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = filled.awaitNanos(nanos);
            }
            Exchange e = pending;
            pending = null;
            return e;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange peek() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        return peek() == null ? 0 : 1;
    }

    @Override
    public int remainingCapacity() {
        return Integer.MAX_VALUE; // never full: arrivals merge
    }

    @Override
    public Iterator<Exchange> iterator() {
        Exchange e = peek();
        return e == null ? Collections.emptyIterator() : Collections.singletonList(e).iterator();
    }

    @Override
    public int drainTo(Collection<? super Exchange> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super Exchange> c, int maxElements) {
        if (maxElements <= 0) {
            return 0;
        }
        Exchange e = poll();
        if (e == null) {
            return 0;
        }
        c.add(e);
        return 1;
    }
}
