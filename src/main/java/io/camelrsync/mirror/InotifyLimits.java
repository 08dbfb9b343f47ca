package io.camelrsync.mirror;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether inotify can watch a whole tree: one watch per directory, at most fs.inotify.max_user_watches per user.
 * The watcher library registers directories on a background future whose failure nobody reads, so a tree over
 * the limit would be silently half watched; checking first turns that into an error that says how to fix it.
 */
public final class InotifyLimits {
    static final Path MAX_USER_WATCHES = Path.of("/proc/sys/fs/inotify/max_user_watches");

    private InotifyLimits() {
    }

    /** The kernel's limit, or -1 where there is none to read (not Linux). */
    public static long maxUserWatches() {
        // read as a stream: /proc files report a size that whole-file reads may trust
        try (BufferedReader r = Files.newBufferedReader(MAX_USER_WATCHES)) {
            return Long.parseLong(r.readLine().strip());
        } catch (IOException | NumberFormatException | NullPointerException e) {
            return -1;
        }
    }

    /**
     * Fails when {@code directories} watches do not fit under {@code limit}, naming the sysctl line that fixes it
     * (with room to grow: twice what the tree needs now).
     */
    public static void check(Path root, long directories, long limit) {
        if (limit < 0 || directories < limit) {
            return;
        }
        long enough = Math.max(2 * directories, 524_288);
        throw new IllegalStateException("cannot watch " + root + ": it has " + directories + " directories but"
                + " inotify allows " + limit + " watches per user (fs.inotify.max_user_watches), so changes in part"
                + " of the tree would go unnoticed. Raise the limit with:\n"
                + "    sysctl -w fs.inotify.max_user_watches=" + enough + "\n"
                + "and keep it across reboots with:\n"
                + "    echo fs.inotify.max_user_watches=" + enough + " > /etc/sysctl.d/90-camel-rsync.conf");
    }
}
