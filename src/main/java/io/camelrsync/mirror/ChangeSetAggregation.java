package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Merges file-watch events into one change set per batch. A created directory is sent as a whole tree (a moved-in
 * or copied tree raises no event for what is already inside it); any other event names its own path, and a path
 * that no longer exists when pushed is deleted on the target. With hard links kept, a changed file that has other
 * names is pushed with a full sync, since its partners can be anywhere in the tree.
 */
public class ChangeSetAggregation implements AggregationStrategy, Predicate {
    private static final String EVENT_TYPE = "CamelFileEventType";
    private static final String RELATIVE_PATH = "CamelFileRelativePath";

    private Path source;
    private long maxAgeMillis = 1000;
    private int maxPaths = 20_000;
    private boolean hardLinks;

    @Override
    public Exchange aggregate(Exchange batchExchange, Exchange event) {
        Exchange target = batchExchange != null ? batchExchange : event;
        Batch batch = batchExchange != null ? batchExchange.getIn().getBody(Batch.class) : new Batch();
        batch.add(event.getIn().getHeader(EVENT_TYPE, String.class), event.getIn().getHeader(RELATIVE_PATH,
                String.class));
        target.getIn().setBody(batch);
        return target;
    }

    /**
     * The completion predicate: a batch is due early when it is older than maxAgeMillis (a file written without
     * pause) or large.
     */
    @Override
    public boolean matches(Exchange exchange) {
        Batch batch = exchange.getIn().getBody(Batch.class);
        return batch != null && (batch.ageMillis() >= maxAgeMillis || batch.size() >= maxPaths);
    }

    @Override
    public void onCompletion(Exchange exchange) {
        Batch batch = exchange.getIn().getBody(Batch.class);
        if (batch != null) {
            exchange.getIn().setBody(batch.toChangeSet());
            exchange.getIn().setHeader(MergingQueue.FIRST_EVENT_AT, batch.firstEventAt);
        }
    }

    /** The events of one batch, classified when they arrive. */
    final class Batch {
        final long firstEventAt = System.currentTimeMillis();
        private final long firstNanos = System.nanoTime();
        private final Set<String> trees = new LinkedHashSet<>();
        private final Set<String> paths = new LinkedHashSet<>();
        private boolean full;

        void add(String type, String relative) {
            if (full || relative == null) {
                return;
            }
            String rel = ChangeSet.normalize(relative);
            if (rel.equals(".")) {
                full = true; // the root itself: only a full sync describes it
                return;
            }
            boolean inNewTree = underTree(rel);
            if (inNewTree && !(hardLinks && "CREATE".equals(type))) {
                return; // a new tree is pushed whole: its writes cost no stat each
            }
            Now now = now(source.resolve(rel));
            if (inNewTree) { // only a link to a file outside the tree matters here
                full = hardLinks && now != null && now.linkedElsewhere();
                return;
            }
            if (now != null && now.directory() && "CREATE".equals(type)) {
                trees.add(rel);
            } else {
                paths.add(rel);
                full = hardLinks && now != null && now.linkedElsewhere();
            }
        }

        private boolean underTree(String rel) {
            for (int slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
                if (trees.contains(rel.substring(0, slash))) {
                    return true;
                }
            }
            return false;
        }

        int size() {
            return full ? maxPaths : trees.size() + paths.size();
        }

        long ageMillis() {
            return (System.nanoTime() - firstNanos) / 1_000_000;
        }

        ChangeSet toChangeSet() {
            return full ? ChangeSets.fullSync() : ChangeSets.build(trees, paths, maxPaths);
        }
    }

    /** What an event's path is when the event arrives: a directory, a file with other names; null when gone. */
    private record Now(boolean directory, boolean linkedElsewhere) {
    }

    /** One lstat per event: the mode and the link count together. */
    private static Now now(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,nlink", LinkOption.NOFOLLOW_LINKS);
            int type = (Integer) a.get("mode") & 0170000;
            return new Now(type == 0040000, type == 0100000 && (Integer) a.get("nlink") > 1);
        } catch (IOException e) {
            return null; // gone again: the push deletes it on the target
        }
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    public void setMaxAgeMillis(long maxAgeMillis) {
        this.maxAgeMillis = maxAgeMillis;
    }

    public long getMaxAgeMillis() {
        return maxAgeMillis;
    }

    public void setMaxPaths(int maxPaths) {
        this.maxPaths = maxPaths;
    }

    public int getMaxPaths() {
        return maxPaths;
    }

    public void setHardLinks(boolean hardLinks) {
        this.hardLinks = hardLinks;
    }

    public boolean isHardLinks() {
        return hardLinks;
    }
}
