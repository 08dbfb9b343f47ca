package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.camel.Exchange;

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
