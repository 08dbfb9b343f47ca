package io.camelrsync.mirror;

import java.util.concurrent.BlockingQueue;
import org.apache.camel.Exchange;
import org.apache.camel.component.seda.BlockingQueueFactory;

/** Gives a seda component merging queues: routes/mirror.camel.yaml declares such a component for its targets. */
public class MergingQueueFactory implements BlockingQueueFactory<Exchange> {
    private int maxPaths = 100_000;

    /** Paths a pending change set may hold before it becomes a full sync. */
    public void setMaxPaths(int maxPaths) {
        if (maxPaths < 1) {
            throw new IllegalArgumentException("maxPaths must be at least 1, was " + maxPaths);
        }
        this.maxPaths = maxPaths;
    }

    public int getMaxPaths() {
        return maxPaths;
    }

    @Override
    public BlockingQueue<Exchange> create() {
        return new MergingQueue(maxPaths);
    }

    @Override
    public BlockingQueue<Exchange> create(int capacity) {
        return new MergingQueue(maxPaths); // capacity is meaningless: arrivals merge
    }
}
