package io.camelrsync.receiver;

import io.camelrsync.fs.Names;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * --delete inside one directory the client sent whole (generator.c delete_in_dir): what the destination holds
 * and the list lacks goes, contents first, each reported to the client with MSG_DELETED, never through a
 * symlink. The client's rules and the module's protect what they exclude (and a directory keeps what they
 * protect). A dry run only reports.
 */
final class Deletions {
    private final DestinationTree tree;
    private final FilterRules clientRules;
    /** The module's rules: (path, isDirectory) -> refused. */
    private final BiPredicate<String, Boolean> moduleRefuses;
    private final MultiplexWriter mux;
    private final ReceiveStats stats;
    private final Consumer<String> log;
    private final boolean dryRun;

    Deletions(DestinationTree tree, FilterRules clientRules, BiPredicate<String, Boolean> moduleRefuses,
              MultiplexWriter mux, ReceiveStats stats, Consumer<String> log, boolean dryRun) {
        this.tree = tree;
        this.clientRules = clientRules;
        this.moduleRefuses = moduleRefuses;
        this.mux = mux;
        this.stats = stats;
        this.log = log;
        this.dryRun = dryRun;
    }

    /** Deletes what {@code dir} holds beyond the names in {@code keep}. */
    void extraneous(DestinationTree.Node dir, Set<String> keep) throws IOException {
        if (dir.dir == null) {
            return; // a dry run's directory that does not exist yet
        }
        List<String> extra = new ArrayList<>();
        for (String name : tree.list(dir)) {
            if (!keep.contains(name)) {
                extra.add(name);
            }
        }
        for (String name : extra) {
            String path = dir.isTop() ? name : dir.rel + "/" + name;
            try (DestinationTree.Node n = tree.locate(path, false)) {
                Stat a = n.stat();
                if (a == null || clientRules.isExcluded(path, a.isDirectory())
                        || moduleRefuses.test(path, a.isDirectory())) {
                    continue; // gone already, or protected by the client's or the module's rules
                }
                deleteReported(n, a);
            }
        }
    }

    /** Deletes an entry and everything under it, reporting each as rsync does; false when some must stay. */
    private boolean deleteReported(DestinationTree.Node n, Stat a) throws IOException {
        boolean emptied = true;
        if (a.isDirectory()) {
            for (String kid : tree.list(n)) {
                try (DestinationTree.Node k = tree.locate(n.rel + "/" + kid, false)) {
                    Stat ka = k.stat();
                    if (ka == null) {
                        continue;
                    }
                    if (moduleRefuses.test(k.rel, ka.isDirectory()) || clientRules.isExcluded(k.rel,
                            ka.isDirectory())) {
                        emptied = false; // delete_dir_contents lists with every rule: what they protect stays
                    } else {
                        emptied &= deleteReported(k, ka);
                    }
                }
            }
            if (!emptied) {
                notEmpty(n.rel);
                return false;
            }
        }
        if (!dryRun) {
            try {
                tree.remove(n, a.isDirectory());
            } catch (RsyncException | InterruptedIOException fatal) {
                throw fatal;
            } catch (IOException e) {
                FsException fe = e instanceof FsException f ? f : null;
                if (fe != null && a.isDirectory() && fe.notEmpty()) { // backups kept beside its files (-b alone)
                    notEmpty(n.rel);
                    return false;
                }
                // delete.c delete_item: this entry's error (exit 23); the other deletions go on
                stats.errors++;
                String text = "rsync: [generator] delete_file: " + (a.isDirectory() ? "rmdir" : "unlink") + "("
                        + n.rel + ") failed: " + e.getMessage();
                log.accept(text);
                mux.sendMessage(MessageCode.ERROR_XFER, (text + "\n").getBytes(StandardCharsets.UTF_8));
                return false;
            }
        }
        if (a.isDirectory()) {
            stats.deletedDirs++;
        } else if (a.isSymlink()) {
            stats.deletedSymlinks++;
        } else if (a.isRegular()) {
            stats.deletedFiles++;
        } else {
            stats.deletedOther++;
        }
        if (!dryRun) {
            stats.changes.deleted(n.rel, a.isDirectory());
        }
        byte[] b = Names.encode(n.rel);
        mux.sendMessage(MessageCode.DELETED, a.isDirectory() ? Arrays.copyOf(b, b.length + 1) : b);
        return true;
    }

    /** delete.c: what keeps a directory is reported, not an error. */
    private void notEmpty(String rel) throws IOException {
        String text = "cannot delete non-empty directory: " + rel;
        log.accept(text);
        mux.sendMessage(MessageCode.INFO, (text + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
