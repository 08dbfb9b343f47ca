package io.camelrsync.receiver;

import io.camelrsync.protocol.ClientArgs;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client's -b, --backup-dir and --suffix mean on this daemon (options.c parse_arguments, as a daemon
 * that does not chroot reads them): the suffix, and the backup directory as components below the module's
 * root, or none when backups go beside the files they keep.
 *
 * @param suffix appended to every backup name: "~" by default, "" by default with a backup directory
 * @param dir    the backup directory's components below the module root, or null for "beside the file"
 * @param shown  the directory as the client gave it, for messages
 */
public record BackupPlan(String suffix, List<String> dir, String shown) {

    /** A client's options that this daemon cannot take, with rsync's wording. */
    public static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }
    }

    /**
     * The plan for {@code args}, or null when the client asked for no backups. {@code destination} is the
     * destination's components below the module root: a relative backup dir is relative to it, as rsync's is
     * to the directory its receiver changed into, and an absolute one starts at the module's root.
     */
    public static BackupPlan of(ClientArgs args, List<String> destination) throws Rejected {
        if (!args.backup()) {
            return null;
        }
        String given = args.backupDir();
        String suffix = args.suffix() != null ? args.suffix() : given != null ? "" : "~";
        if (suffix.indexOf('/') >= 0) {
            throw new Rejected("rsync: --suffix cannot contain slashes: " + suffix);
        }
        List<String> dir = null;
        if (given != null) {
            List<String> parts = ModulePath.sanitize(given, 0); // options.c: depth 0, at parse time
            if (given.startsWith("/")) {
                dir = parts; // sanitize_path: an absolute path is taken below module_dir
            } else if (!parts.isEmpty()) {
                dir = new ArrayList<>(destination);
                dir.addAll(parts);
            } // else: "." after sanitizing, which options.c turns into no backup dir at all
        }
        if (suffix.isEmpty() && (dir == null || dir.equals(destination))) {
            // the second case is ours: "/" naming the destination itself would back each file up onto itself
            throw new Rejected("rsync: --suffix cannot be empty " + (given != null
                    ? "when --backup-dir is the same as the dest dir" : "without a --backup-dir"));
        }
        return new BackupPlan(suffix, dir == null ? null : List.copyOf(dir), given);
    }

    /** The backup directory below the module root, "/"-joined ("" for the root itself). */
    public String moduleRelativeDir() {
        return String.join("/", dir);
    }
}
