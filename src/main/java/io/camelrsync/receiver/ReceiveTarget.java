package io.camelrsync.receiver;

import io.camelrsync.fs.Dir;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Where the receiving role writes (main.c do_recv's setup, the part both ends share): the destination's
 * {@link DestinationTree}, with backups into --backup-dir, and the alt dirs (--link-dest, --copy-dest,
 * --compare-dest) opened below the same root as read-only trees. A daemon's root is its module, a pull's DEST:
 * nothing is reached outside it, nor through a symlink.
 *
 * @param tree               the destination's tree (its root is null in a dry run whose destination was not made)
 * @param alts               the alt dirs, open; null without them
 * @param createdDestination the destination was made for this transfer (main.c get_local_name's FLAG_DIR_CREATED
 *                           on ".")
 */
public record ReceiveTarget(DestinationTree tree, AltDests alts, boolean createdDestination)
        implements AutoCloseable {

    /**
     * Opens the target: backups (when the client asked for them and this is no dry run), the alt dirs, each
     * warned about and left out when it cannot be opened (check_alt_basis_dirs), and the tree of
     * {@code destination}, which this takes over.
     *
     * @param root        the module's root or DEST: the backup dir and the alt dirs are below it; not taken over
     * @param destination the destination's directory (below or at {@code root}), or null in a dry run that would
     *                    have made it
     * @param plan        the client's -b, --backup-dir and --suffix; null without -b
     * @param altDests    the client's alt dirs, not yet open; null without them
     * @param warn        a warning the client shows (rsync's FWARNING)
     */
    public static ReceiveTarget open(Dir root, Dir destination, BackupPlan plan, AltDests altDests,
                                     DestinationTree.Policy policy, boolean dryRun, boolean createdDestination,
                                     Consumer<String> warn) throws IOException {
        Backups backups = null;
        if (plan != null && destination != null && !dryRun) {
            backups = new Backups(plan, root.retain(), destination, policy);
        }
        if (altDests != null) {
            altDests.open(root, policy, warn); // closed with the target
        }
        return new ReceiveTarget(new DestinationTree(destination, policy, backups), altDests, createdDestination);
    }

    /**
     * main.c do_recv: an existing backup dir must be a directory (exit 1). Ours is reached from the module's
     * root without following a symlink, so one on its path is refused here rather than followed; one created
     * later makes that backup fail.
     */
    public static void checkBackupDir(Dir module, BackupPlan plan) throws IOException {
        Dir d = module.retain();
        try {
            String walked = "";
            for (String part : plan.dir()) {
                walked = walked.isEmpty() ? part : walked + "/" + part;
                Stat st = d.stat(part);
                if (st == null) {
                    return; // made on first use
                }
                if (st.isSymlink()) {
                    throw new RsyncException(ExitCode.SYNTAX, "ERROR: the backup-dir " + plan.shown() + " goes"
                            + " through a symlink (" + walked + "), which is never followed");
                }
                if (!st.isDirectory()) {
                    throw new RsyncException(ExitCode.SYNTAX, "The backup-dir is not a directory: " + plan.shown());
                }
                Dir next = d.openDir(part); // on failure d is still ours, and closed below
                d.close();
                d = next;
            }
        } finally {
            d.close();
        }
    }

    /** Closes the tree (its temp files removed) and the alt dirs. */
    @Override
    public void close() {
        tree.close();
        if (alts != null) {
            alts.close();
        }
    }
}
