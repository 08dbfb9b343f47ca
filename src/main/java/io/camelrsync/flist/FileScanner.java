package io.camelrsync.flist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Reads the local side of a push into file-list entries: the whole tree below a root, or only the paths of a
 * {@link ChangeSet} plus what the receiver needs to apply them (parents, and for a deletion the listing of the
 * nearest surviving directory, sent as a content directory so the receiver deletes what is gone).
 */
public final class FileScanner {
    private final Path root;
    private final String wirePrefix;
    private final PathFilter filter;
    /** Scans are I/O-bound stat() loops: one worker per core keeps both cores busy without oversubscribing. */
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    private final Consumer<String> warnings;
    private final AtomicInteger ioError = new AtomicInteger();

    /**
     * @param root       the local directory (or file) being pushed
     * @param wirePrefix "" to send the root's contents (rsync's "SRC/"), else the root's own name ("SRC")
     */
    public FileScanner(Path root, String wirePrefix, PathFilter filter, Consumer<String> warnings) {
        this.root = root;
        this.wirePrefix = wirePrefix;
        this.filter = filter;
        this.warnings = w -> {
            synchronized (warnings) {
                warnings.accept(w);
            }
        };
    }

    /**
     * Starts reading everything below the root (every directory a content directory) on the scan pool and
     * returns at once; the caller consumes the entries in rsync's order while the pool reads ahead.
     */
    public TreeWalk startTree() throws IOException {
        FileEntry top = stat(root, rootName());
        top.markContent();
        return new TreeWalk(top, top.isDirectory() ? POOL.submit(new ListingTask(top)) : null);
    }

    /** An in-progress whole-tree scan, consumed in file-list order. */
    public final class TreeWalk implements EntrySource {
        private final FileEntry top;
        private final ForkJoinTask<Listing> root;

        private TreeWalk(FileEntry top, ForkJoinTask<Listing> root) {
            this.top = top;
            this.root = root;
        }

        /** Hands every entry to {@code sink} in transmission order, waiting for the scan where needed. */
        @Override
        public void forEach(EntrySource.EntrySink sink) throws IOException {
            sink.accept(top);
            forEachBelow(sink);
        }

        void forEachBelow(EntrySource.EntrySink sink) throws IOException {
            if (root != null) {
                emit(join(root), sink);
            }
        }

        private void emit(Listing listing, EntrySource.EntrySink sink) throws IOException {
            int next = 0;
            for (FileEntry kid : listing.kids) {
                sink.accept(kid);
                if (kid.isDirectory()) {
                    emit(join(listing.subdirs.get(next++)), sink);
                }
            }
        }

        @Override
        public int ioError() {
            return ioError.get();
        }
    }

    private static Listing join(ForkJoinTask<Listing> t) throws IOException {
        try {
            return t.join();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Only the changed paths, their parents, and listings of the directories where something was deleted. */
    public ScanResult scanChanges(ChangeSet changes) throws IOException {
        Node top = new Node(stat(root, rootName()));
        if (!top.entry.isDirectory()) {
            throw new IOException("a change set needs a directory as source: " + root);
        }
        for (String tree : changes.trees()) {
            addChange(top, tree, true);
        }
        for (String path : changes.paths()) {
            addChange(top, path, false);
        }
        List<FileEntry> out = new ArrayList<>();
        namedOnly = true;
        emitNodes(top, out);
        return new ScanResult(out, ioError.get(), List.copyOf(deleted), List.copyOf(deletingIn),
                unreadable + unlisted.size(), List.copyOf(new java.util.TreeSet<>(unlisted)));
    }

    /**
     * A change set's scan: what cannot be read inside one of its trees is protected on the receiver by a rule
     * ({@link ScanResult#unlisted()}) instead of io_error, which would stop every deletion of the set.
     */
    private volatile boolean namedOnly;
    /** Wire paths of a change set's trees that could not be listed (a directory) or stat'ed (an entry). */
    private final java.util.Set<String> unlisted = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** What a change set deletes (wire paths), and the directories they are deleted from. */
    private final java.util.Set<String> deleted = new java.util.LinkedHashSet<>();
    private final java.util.Set<String> deletingIn = new java.util.LinkedHashSet<>();
    private int unreadable;

    private void addChange(Node top, String rel, boolean tree) throws IOException {
        if (rel.equals(".")) {
            top.entry.markContent();
            top.fullSubtree = tree;
            return;
        }
        String[] parts = rel.split("/");
        Node node = top;
        for (int i = 0; i < parts.length; i++) {
            if (!node.entry.isDirectory() || node.fullSubtree) {
                // an earlier path of this set found a file or a symlink here now (nothing below it exists, and the
                // receiver replaces the old directory when that entry arrives), or a tree of the set holds this
                // path: it goes with the whole tree, whose listing also deletes what the tree no longer has
                return;
            }
            String wire = wirePath(String.join("/", java.util.Arrays.copyOf(parts, i + 1)));
            boolean last = i == parts.length - 1;
            Node child = node.children.get(parts[i]);
            if (child == null) {
                Path p = RawNames.resolve(root, String.join("/", java.util.Arrays.copyOf(parts, i + 1)));
                FileEntry e;
                try {
                    e = statOrNull(p, wire);
                } catch (IOException unreadableHere) {
                    // this path's own problem (permission denied, a name too long): the rest of the set goes on
                    unreadable++;
                    warnings.accept("rsync: [sender] link_stat \"" + p + "\" failed: " + reason(unreadableHere));
                    return;
                }
                if (e == null || filter.isExcluded(wire, e.isDirectory())) {
                    if (e == null) {
                        // Gone (or never there): its parent goes as a content directory and a receiver rule puts
                        // this one name at risk of --delete (its siblings are protected, not listed)
                        node.entry.markContent();
                        if (deleted.add(wire)) {
                            deletingIn.add(node.entry.path);
                        }
                    }
                    return;
                }
                child = new Node(e);
                node.children.put(parts[i], child);
                if (!last && !e.isDirectory()) {
                    return; // a directory became a file: the receiver replaces the old subtree with it
                }
            }
            node = child;
        }
        if (tree && node.entry.isDirectory()) {
            node.entry.markContent();
            node.fullSubtree = true;
        }
    }

    private void emitNodes(Node node, List<FileEntry> out) throws IOException {
        out.add(node.entry);
        if (node.fullSubtree) {
            emitSubtree(node.entry, out);
            return;
        }
        List<Node> kids = new ArrayList<>(node.children.values());
        kids.sort((a, b) -> SiblingOrder.INSTANCE.compare(a.entry, b.entry));
        for (Node kid : kids) {
            if (kid.entry.isDirectory()) {
                emitNodes(kid, out);
            } else {
                out.add(kid.entry);
            }
        }
    }

    private void emitSubtree(FileEntry dir, List<FileEntry> out) throws IOException {
        new TreeWalk(dir, POOL.submit(new ListingTask(dir))).forEachBelow(out::add);
    }

    /** One directory's sorted entries and the scans of its subdirectories, in the same order. */
    private record Listing(List<FileEntry> kids, List<ForkJoinTask<Listing>> subdirs) {
    }

    /** Lists one directory and forks the listing of each subdirectory, so the pool reads ahead of the writer. */
    private final class ListingTask extends RecursiveTask<Listing> {
        private final FileEntry dir;

        ListingTask(FileEntry dir) {
            this.dir = dir;
        }

        @Override
        protected Listing compute() {
            List<FileEntry> kids;
            try {
                kids = readDir(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            kids.sort(SiblingOrder.INSTANCE); // files first, so each directory's subtree can follow it directly
            List<ForkJoinTask<Listing>> subdirs = new ArrayList<>();
            for (FileEntry kid : kids) {
                if (kid.isDirectory()) {
                    kid.markContent();
                    subdirs.add(new ListingTask(kid).fork());
                }
            }
            return new Listing(kids, subdirs);
        }
    }

    private List<FileEntry> readDir(FileEntry dir) throws IOException {
        List<FileEntry> kids = new ArrayList<>();
        Path dirPath = dir.source;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dirPath)) {
            for (Path p : ds) {
                String name = RawNames.nameOf(p);
                String wire = dir.isTopDir() ? wirePath(name) : dir.path + "/" + name;
                FileEntry e;
                try {
                    e = statOrNull(p, wire);
                } catch (IOException failed) { // this entry only, as rsync's send_directory goes on
                    cannotRead(wire);
                    warnings.accept("rsync: [sender] readlink_stat(\"" + p + "\") failed: " + reason(failed));
                    continue;
                }
                if (e == null) {
                    ioError.getAndUpdate(v -> v | ScanResult.IOERR_VANISHED);
                    warnings.accept("file has vanished: \"" + p + "\"");
                    continue;
                }
                if (!filter.isExcluded(wire, e.isDirectory())) {
                    kids.add(e);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // gone, or replaced by a file since it was listed: the next push of its parent deletes it
            ioError.getAndUpdate(v -> v | ScanResult.IOERR_VANISHED);
            warnings.accept("file has vanished: \"" + dirPath + "\"");
        } catch (IOException e) {
            if (vanishedComponent(e)) {
                ioError.getAndUpdate(v -> v | ScanResult.IOERR_VANISHED);
                warnings.accept("file has vanished: \"" + dirPath + "\"");
                return kids;
            }
            cannotRead(dir.path);
            warnings.accept("rsync: [sender] opendir \"" + dirPath + "\" failed: " + reason(e));
        }
        return kids;
    }

    /** rsync's io_error for a whole tree (the receiver then deletes nothing); a rule for a change set's tree. */
    private void cannotRead(String wire) {
        if (namedOnly) {
            unlisted.add(wire);
        } else {
            ioError.getAndUpdate(v -> v | ScanResult.IOERR_GENERAL);
        }
    }

    private String rootName() {
        return wirePrefix.isEmpty() ? "." : wirePrefix;
    }

    private String wirePath(String rel) {
        return wirePrefix.isEmpty() ? rel : wirePrefix + "/" + rel;
    }

    /**
     * lstat, or null when the path no longer resolves: gone, or a component above it is now a file
     * (ENOTDIR) or a symlink loop (ELOOP). Such a path is a deletion, never an error that fails the push.
     */
    private FileEntry statOrNull(Path p, String wire) throws IOException {
        try {
            return stat(p, wire);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.file.FileSystemException e) {
            if (vanishedComponent(e)) {
                return null;
            }
            throw e;
        }
    }

    /** ENOTDIR or ELOOP: a component of the path is no longer a directory. */
    private static boolean vanishedComponent(IOException e) {
        String reason = e instanceof java.nio.file.FileSystemException f ? String.valueOf(f.getReason()) : "";
        return reason.contains("Not a directory") || reason.contains("symbolic links");
    }

    static FileEntry stat(Path p, String wire) throws IOException {
        return FileStat.of(p, wire);
    }

    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied (13)";
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory (2)";
        }
        return e.getMessage();
    }

    private static final class Node {
        final FileEntry entry;
        final Map<String, Node> children = new TreeMap<>();
        boolean fullSubtree;

        Node(FileEntry entry) {
            this.entry = entry;
        }
    }
}
