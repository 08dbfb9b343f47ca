package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import io.camelrsync.flist.RawNames;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.component.file.watch.FileWatchConstants;

/**
 * Merges file-watch events into one change set per batch. A created directory is sent as a whole tree (a moved-in
 * or copied tree raises no event for what is already inside it), unless the {@link DirectoryIndex} knows it as a
 * directory moved within the source: then it is a move, pushed with its old copy on the target as basis, and only
 * what changed in it after the move is named. Any other event names its own path, and a path that no longer exists
 * when pushed is deleted on the target. With hard links kept, a change to a file that has other names (or had, as
 * the {@link HardLinkIndex} remembers) pushes every name it has in the tree, so the receiver links them again.
 */
public class ChangeSetAggregation implements AggregationStrategy, Predicate {
    /** The exchange property the aggregate's completionTimeoutExpression reads: this batch's quiet time. */
    public static final String QUIET_MILLIS = "MirrorQuietMillis";

    /** Below this size a moved file is sent again: a session of its own would cost more. */
    static final long MIN_MOVED_FILE_BYTES = 64 * 1024;
    private static final Duration CTIME_MARGIN = Duration.ofMillis(20);

    private Path source;
    private DirectoryIndex directories;
    private long quietMillis = 10;
    private long moveWaitMillis = 250;
    private long maxAgeMillis = 1000;
    private int maxPaths = 20_000;
    private boolean hardLinks;
    private HardLinkIndex hardLinkIndex;

    @Override
    public Exchange aggregate(Exchange batchExchange, Exchange event) {
        Exchange target = batchExchange != null ? batchExchange : event;
        Batch batch = batchExchange != null ? batchExchange.getIn().getBody(Batch.class) : new Batch();
        batch.add(event.getIn().getHeader(FileWatchConstants.EVENT_TYPE_HEADER, String.class),
                EventPaths.relative(event, source));
        target.getIn().setBody(batch);
        // Camel evaluates completionTimeoutExpression on the arriving exchange, not on the batch
        event.setProperty(QUIET_MILLIS, batch.getQuietMillis());
        return target;
    }

    /**
     * The completion predicate: a batch is due early when it is older than maxAgeMillis (a file written without
     * pause), large, or holds a moved directory.
     */
    @Override
    public boolean matches(Exchange exchange) {
        Batch batch = exchange.getIn().getBody(Batch.class);
        return batch != null && (batch.ageMillis() >= maxAgeMillis || batch.size() >= maxPaths
                || batch.movedDirectory);
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
        /** Moved directories and files: new path to old path. */
        private final Map<String, String> moves = new LinkedHashMap<>();
        /** Regular files that appeared without being written (a rename or a link), with their size. */
        private final Map<String, Long> appeared = new LinkedHashMap<>();
        private final Set<String> written = new HashSet<>();
        /** Every path this batch saw deleted, gone or already replaced when the event arrived. */
        private final Set<String> deletedHere = new HashSet<>();
        /** Deleted paths that were gone when their event arrived. */
        private final Set<String> gone = new LinkedHashSet<>();
        /** The hard-linked files (by key) this batch may have changed through one of their names. */
        private final Set<Object> linkedFiles = new HashSet<>();
        /** A directory moved within the source was found: the batch is due. */
        private boolean movedDirectory;
        /** Directories deleted in this batch whose creation elsewhere (a move) has not been seen yet. */
        private final Set<String> unpairedDirectories = new HashSet<>();
        private boolean full;

        /**
         * The quiet time that completes this batch: longer while a directory deleted in it may still turn out to
         * be moved. The watcher reports a moved-in directory only after it has registered the whole tree below it,
         * and a deletion pushed alone would remove the old copy the move's session wants as basis.
         */
        long getQuietMillis() {
            return unpairedDirectories.isEmpty() ? quietMillis : Math.max(quietMillis, moveWaitMillis);
        }

        void add(String type, String relative) {
            if (relative == null) {
                return;
            }
            String rel = ChangeSet.normalize(relative);
            if (rel.indexOf('\uFFFD') >= 0) {
                // a name that is not UTF-8: java.nio.file (under the watcher) shows its bytes as U+FFFD and cannot
                // name it; the push lists its nearest such directory whole, which carries every byte
                unnameable(rel);
                return;
            }
            if (rel.equals(".")) {
                full = true; // the root itself: only a full sync describes it
                return;
            }
            for (String now : directories.whereNow(rel)) {
                addPath(type, now);
            }
        }

        private void addPath(String type, String rel) {
            boolean create = "CREATE".equals(type);
            if ("DELETE".equals(type)) {
                deletedHere.add(rel);
                if (directories.deleted(rel) && now(source.resolve(rel)) == null) {
                    unpairedDirectories.add(rel);
                }
            } else if (!create) {
                written.add(rel);
            }
            boolean inNewTree = under(rel, trees);
            boolean inMoved = !inNewTree && under(rel, moves.keySet());
            boolean inTree = (inNewTree || inMoved) && !create;
            // a new tree is pushed whole: its writes cost no stat each, unless a write may reach other names
            Now now = inTree && !hardLinks ? null : now(source.resolve(rel));
            if (hardLinks) {
                boolean linked = now != null && now.regular();
                linkedFiles.addAll(links().seen(rel, linked ? now.key() : null, linked ? now.nlink() : 0));
            }
            if (inTree) {
                if (inMoved) {
                    paths.add(rel); // changed after the move: the push transfers it whatever its size and mtime
                }
                return;
            }
            if (inNewTree || inMoved) {
                // what the watcher reports of a tree that appeared: it goes with the tree
                if (now != null && now.directory()) {
                    String from = directories.created(rel, now.key());
                    if (from != null) {
                        paths.add(from); // moved in from elsewhere in the source: deleted there
                    }
                }
                return;
            }
            if (create && now != null && isWalkReport(rel, now)) {
                return;
            }
            if (now != null && now.directory() && create) {
                String from = directories.created(rel, now.key());
                if (from != null && deletedHere.contains(rel)) {
                    // moved onto a path this batch deleted: the target still has the old entry there (a symlink
                    // would take the move's session somewhere else), so it goes whole, replacing it
                    paths.add(from);
                    trees.add(rel);
                } else if (from != null) {
                    moves.put(rel, from);
                    unpairedDirectories.remove(from);
                    // due at once: what follows is mostly the watcher walking the moved tree, which the move's own
                    // session sends anyway (those reports are recognised in the next batch and left out)
                    movedDirectory = true;
                    paths.add(from);
                } else {
                    trees.add(rel);
                }
                return;
            }
            paths.add(rel);
            if (now == null && "DELETE".equals(type)) {
                gone.add(rel);
            } else if (now != null && now.regular() && create) {
                appeared.put(rel, now.size());
            }
        }

        /**
         * Whether a creation is the watcher walking a tree it reported before (it registers a new or moved
         * directory by walking it, and those reports may fall into a later batch): a directory the index holds at
         * this path already, or a file unwritten in this batch and unchanged since before its directory was found
         * moved, which the move's own session sends. The margin covers the kernel's coarse ctime clock.
         */
        private boolean isWalkReport(String rel, Now now) {
            if (now.directory()) {
                return directories.knows(rel, now.key());
            }
            Instant moved = directories.movedAt(rel);
            return moved != null && now.regular() && !written.contains(rel)
                    && now.ctime().isBefore(moved.minus(CTIME_MARGIN));
        }

        /**
         * A file that appeared unwritten where a file of the same name in another directory, or another file of
         * its directory, was deleted, is taken as moved from there. A wrong guess costs only the basis it offers:
         * the transfer checks every block.
         */
        private void pairMovedFiles(Set<String> linkedNames) {
            Set<String> taken = new HashSet<>(moves.values());
            for (Map.Entry<String, Long> a : appeared.entrySet()) {
                String to = a.getKey();
                if (a.getValue() < MIN_MOVED_FILE_BYTES || written.contains(to) || gone.contains(to)
                        || !paths.contains(to) || linkedNames.contains(to)) {
                    continue;
                }
                for (String from : gone) {
                    if (!taken.contains(from) && !from.equals(to) && (name(from).equals(name(to))
                            || Objects.equals(parentOf(from), parentOf(to)))) {
                        moves.put(to, from);
                        paths.remove(to);
                        taken.add(from);
                        break;
                    }
                }
            }
        }

        /**
         * A path the watcher shows with U+FFFD: its nearest directory whose name it can carry is listed whole; for
         * a name at the top, the root's entries that show so are found and listed whole under their real bytes
         * ({@link RawNames}), and only when none is left does the batch need a full sync.
         */
        private void unnameable(String rel) {
            int slash = rel.lastIndexOf('/', rel.indexOf('\uFFFD'));
            if (slash > 0) {
                trees.add(rel.substring(0, slash));
                return;
            }
            int end = rel.indexOf('/');
            String top = end < 0 ? rel : rel.substring(0, end);
            boolean found = false;
            try (DirectoryStream<Path> root = Files.newDirectoryStream(source)) {
                for (Path entry : root) {
                    if (entry.getFileName().toString().equals(top)) {
                        trees.add(RawNames.nameOf(entry));
                        found = true;
                    }
                }
            } catch (IOException e) {
                found = false;
            }
            full |= !found;
        }

        /**
         * Names every file of this batch's linked files in the change set: rsync links names again only when all of
         * them are in one session, and the change set transfers each whatever its size and mtime. Returns them.
         */
        private Set<String> addLinkedNames() {
            if (!hardLinks) {
                return Set.of();
            }
            Set<String> all = new HashSet<>();
            Set<String> walked = new HashSet<>();
            // a tree listed whole replaces each of its files on the receiver: their other names come along, and a
            // name that only its directory can carry (bytes that are not UTF-8) makes that directory a tree too
            for (int round = 0; round < 4; round++) {
                for (String tree : new ArrayList<>(trees)) {
                    if (walked.add(tree)) {
                        linkedFiles.addAll(links().walkTree(tree));
                    }
                }
                Set<String> names = linkedFiles.isEmpty() ? Set.of() : links().names(linkedFiles);
                if (names == null) {
                    full = true; // too many linked names to keep: only a full sync finds the groups (-H)
                    return Set.of();
                }
                all.addAll(names);
                for (String name : names) {
                    if (name.indexOf('\uFFFD') < 0) {
                        paths.add(name);
                    } else {
                        unnameable(name);
                    }
                }
                if (walked.containsAll(trees)) {
                    return all;
                }
            }
            full = true; // trees bringing trees: a full sync lists every name at once
            return Set.of();
        }

        /**
         * A file written in this batch before it (or its directory) moved: the move's session takes the old copy
         * on the target as basis, whose size and mtime may still match the new content (a same-second rewrite),
         * so its new path is named too and transferred whatever they say.
         */
        private void nameWritesBeforeMoves() {
            if (moves.isEmpty() || written.isEmpty()) {
                return;
            }
            for (Map.Entry<String, String> m : moves.entrySet()) {
                String to = m.getKey();
                String from = m.getValue();
                for (String w : written) {
                    if (w.equals(from)) {
                        paths.add(to);
                    } else if (w.startsWith(from + "/")) {
                        paths.add(to + w.substring(from.length()));
                    }
                }
            }
        }

        int size() {
            return full ? maxPaths : trees.size() + paths.size() + moves.size();
        }

        long ageMillis() {
            return (System.nanoTime() - firstNanos) / 1_000_000;
        }

        ChangeSet toChangeSet() {
            pairMovedFiles(addLinkedNames());
            nameWritesBeforeMoves();
            directories.settle();
            if (full) {
                trees.add("."); // a full sync, which sends what this batch saw change first (ChangeSets)
            }
            return ChangeSets.build(trees, paths, moves, maxPaths);
        }
    }

    /** True when an ancestor of {@code path} is in {@code dirs}. */
    private static boolean under(String path, Set<String> dirs) {
        if (dirs.isEmpty()) {
            return false;
        }
        for (String p = parentOf(path); p != null; p = parentOf(p)) {
            if (dirs.contains(p)) {
                return true;
            }
        }
        return false;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** What an event's path is when the event arrives; null when gone. */
    private record Now(int type, int nlink, Object key, long size, Instant ctime) {
        boolean directory() {
            return type == 0040000;
        }

        boolean regular() {
            return type == 0100000;
        }
    }

    /** One lstat per event. */
    private static Now now(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,nlink,fileKey,size,ctime",
                    LinkOption.NOFOLLOW_LINKS);
            return new Now((Integer) a.get("mode") & 0170000, (Integer) a.get("nlink"), a.get("fileKey"),
                    (Long) a.get("size"), ((FileTime) a.get("ctime")).toInstant());
        } catch (IOException e) {
            return null; // gone again: the push deletes it on the target
        }
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
        if (directories == null) { // routes without the shared index: this one learns directories as they appear
            directories = new DirectoryIndex();
            directories.setSource(source);
        }
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    public void setDirectories(DirectoryIndex directories) {
        this.directories = directories;
    }

    public DirectoryIndex getDirectories() {
        return directories;
    }

    public void setQuietMillis(long quietMillis) {
        this.quietMillis = quietMillis;
    }

    public long getQuietMillis() {
        return quietMillis;
    }

    public void setMoveWaitMillis(long moveWaitMillis) {
        this.moveWaitMillis = moveWaitMillis;
    }

    public long getMoveWaitMillis() {
        return moveWaitMillis;
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

    public void setHardLinkIndex(HardLinkIndex hardLinkIndex) {
        this.hardLinkIndex = hardLinkIndex;
    }

    public HardLinkIndex getHardLinkIndex() {
        return hardLinkIndex;
    }

    /** The shared index, or (routes without it) one of this aggregation's own that learns linked files from events. */
    private synchronized HardLinkIndex links() {
        if (hardLinkIndex == null) {
            hardLinkIndex = new HardLinkIndex();
            hardLinkIndex.setSource(source.toString());
        }
        return hardLinkIndex;
    }
}
