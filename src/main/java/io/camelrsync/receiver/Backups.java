package io.camelrsync.receiver;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Stat;
import java.io.IOException;

/**
 * rsync's --backup on the receiving side (backup.c make_backup, get_backup_name): what a push replaces or
 * deletes is first moved, or hard-linked, to its backup name: NAME+suffix beside it, or DIR/path+suffix in
 * the backup directory, whose missing directories are created with the attributes of the ones they stand for.
 * Everything goes through directory descriptors opened without following a symlink, from the module's root:
 * a symlink in the backup directory's path fails the backup instead of leading it out of the module, and one
 * inside the backup tree is replaced by a directory, as copy_valid_path replaces anything in its way.
 * Thread-safe: files are finished on several threads.
 */
final class Backups implements AutoCloseable {
    /** What became of the entry (make_backup's return values). */
    enum Kept {
        /** Renamed to its backup name: nothing is left under the old one. */
        MOVED,
        /** Hard-linked to its backup name: the old name still holds it, for the caller to replace. */
        LINKED,
        /** Nothing was there. */
        ABSENT
    }

    private final BackupPlan plan;
    private final Dir moduleRoot;
    private final Dir destination;
    private final DestinationTree.Policy policy;
    private Dir base;

    /** Takes ownership of {@code moduleRoot}; {@code destination} stays the caller's. */
    Backups(BackupPlan plan, Dir moduleRoot, Dir destination, DestinationTree.Policy policy) {
        this.plan = plan;
        this.moduleRoot = moduleRoot;
        this.destination = destination;
        this.policy = policy;
    }

    /**
     * delete.c delete_item: without a backup directory, a name that already ends with the suffix is a backup
     * itself and is deleted, not backed up again.
     */
    boolean keeps(String name) {
        return plan.dir() != null || !name.endsWith(plan.suffix());
    }

    /**
     * make_backup for the entry {@code name} of {@code dir}, {@code rel} below the destination (never a
     * directory: callers empty those and remove them). {@code preferRename}: for deletions, rename it away;
     * otherwise hard-link it so that its name is never missing until the caller's rename replaces it (rsync
     * renames when the link fails). A backup name that is taken is cleared first, whatever is there.
     */
    Kept keep(Dir dir, String name, String rel, boolean preferRename) throws IOException {
        Stat a = dir.stat(name);
        if (a == null) {
            return Kept.ABSENT;
        }
        if (a.isDirectory()) { // one made meanwhile: make_backup keeps files, a directory's are kept one by one
            throw new IOException("make_backup \"" + rel + "\": it is a directory now");
        }
        String backupName = name + plan.suffix();
        try (Dir to = plan.dir() == null ? dir.retain() : backupParent(rel)) {
            if (!preferRename) {
                try {
                    linkInto(dir, name, to, backupName);
                    return Kept.LINKED;
                } catch (FsException cannotLink) {
                    // link_or_rename: a file system without hard links, or one refusing this one: rename instead
                }
            }
            try {
                dir.rename(name, to, backupName);
            } catch (FsException taken) {
                if (!taken.isDirectory() && !taken.notEmpty() && !taken.exists()) {
                    throw taken;
                }
                clear(to, backupName); // a directory in the way (make_backup_inner: DEL_FOR_BACKUP|DEL_RECURSE)
                dir.rename(name, to, backupName);
            }
            if (a.nlink() > 1) {
                // link_or_rename: renaming a name onto another link of the same file succeeds and does nothing
                try {
                    dir.unlink(name);
                } catch (FsException gone) {
                    if (!gone.notFound()) {
                        throw gone;
                    }
                }
            }
            return Kept.MOVED;
        }
    }

    private static void linkInto(Dir from, String name, Dir to, String backupName) throws IOException {
        try {
            to.link(from, name, backupName);
        } catch (FsException taken) {
            if (!taken.exists()) {
                throw taken;
            }
            clear(to, backupName); // an older backup of the same name: the newest one wins, as in rsync
            to.link(from, name, backupName);
        }
    }

    /** Removes whatever is at {@code name}, a directory with its contents, never backing anything up. */
    private static void clear(Dir d, String name) throws IOException {
        Stat s = d.stat(name);
        if (s == null) {
            return;
        }
        if (s.isDirectory()) {
            try (Dir sub = d.openDir(name)) {
                DestinationTree.deleteContents(sub);
            }
            d.rmdir(name);
        } else {
            d.unlink(name);
        }
    }

    /** The backup directory itself, created on first use (get_backup_name's make_path), never through a symlink. */
    private synchronized Dir base() throws IOException {
        if (base == null) {
            Dir d = moduleRoot.retain();
            try {
                for (String part : plan.dir()) {
                    Dir next = openOrMake(d, part, null);
                    d.close();
                    d = next;
                }
            } catch (IOException | RuntimeException e) {
                d.close();
                throw e;
            }
            base = d;
        }
        return base.retain();
    }

    /** copy_valid_path: the backup directory's copy of {@code rel}'s parent, missing directories created. */
    private Dir backupParent(String rel) throws IOException {
        Dir d = base();
        int slash = rel.lastIndexOf('/');
        if (slash < 0) {
            return d;
        }
        try {
            String parent = rel.substring(0, slash);
            int from = 0;
            while (from <= parent.length()) {
                int end = parent.indexOf('/', from);
                end = end < 0 ? parent.length() : end;
                Dir next = openOrMake(d, parent.substring(from, end), parent.substring(0, end));
                d.close();
                d = next;
                from = end + 1;
            }
            return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * The directory {@code name} in {@code d}, made when missing; anything else in its place is removed first
     * (validate_backup_dir). {@code like}: the destination directory whose attributes a new one takes, or null.
     */
    private Dir openOrMake(Dir d, String name, String like) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Stat s = d.stat(name);
            if (s != null && s.isDirectory()) {
                return d.openDir(name); // fails rather than follow a symlink swapped in meanwhile
            }
            if (s != null) {
                if (like == null) { // get_backup_name's make_path: the backup directory's own path is not ours
                    throw new IOException("the backup-dir " + plan.shown() + " is not a directory (\"" + name
                            + "\" is in the way)");
                }
                d.unlink(name);
            }
            try {
                d.mkdir(name, 0777); // less the umask, as rsync's mkdir (ACCESSPERMS)
            } catch (FsException raced) {
                if (raced.exists() && attempt < 3) {
                    continue; // another thread made it first
                }
                throw raced;
            }
            Dir made = d.openDir(name);
            try {
                if (like != null) {
                    copyAttributes(made, like);
                } else if (policy.identity().claimsFiles()) {
                    made.chownSelf(policy.identity().uid(), policy.identity().gid());
                }
            } catch (IOException | RuntimeException e) {
                made.close();
                throw e;
            }
            return made;
        }
    }

    /**
     * copy_valid_path's set_file_attrs: a new directory of the backup tree takes the mode (through the module's
     * incoming chmod), owner and group (as the session keeps them) and time of the directory it stands for.
     */
    private void copyAttributes(Dir made, String like) throws IOException {
        Stat src;
        try (Dir original = destination.openPath(like)) {
            src = original.stat();
        } catch (FsException gone) {
            src = null; // rsync reports "backup stat failed" and leaves the new directory as made
        }
        Ownership id = policy.identity();
        if (src == null) {
            if (id.claimsFiles()) {
                made.chownSelf(id.uid(), id.gid());
            }
            return;
        }
        if (id.preservesOwnership()) {
            if (policy.owner() || policy.group()) {
                made.chownSelf(policy.owner() ? src.uid() : -1, policy.group() ? src.gid() : -1);
            }
        } else if (id.claimsFiles()) {
            made.chownSelf(id.uid(), id.gid());
        }
        made.chmodSelf(policy.incomingChmod().apply((src.mode() & 07777) | FileEntry.S_IFDIR) & 07777);
        if (policy.times()) {
            made.setMtimeSelf(src.mtimeSeconds(), src.mtimeNanos());
        }
    }

    @Override
    public synchronized void close() {
        if (base != null) {
            base.close();
            base = null;
        }
        moduleRoot.close();
    }
}
