package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * "max connections" as rsync counts it (connection.c claim_connection): a connection holds the first free one
 * of records 0 .. max-1, four bytes each, write-locked in the module's "lock file". Java's FileChannel locks
 * are fcntl record locks, the same kind rsync takes, so every daemon sharing a lock file - other camel-rsync
 * processes and stock rsync alike - shares the limit, and modules naming the same lock file share its records
 * as they do in rsync. Within this JVM the OS would grant the process its own record twice; the JDK's lock
 * table, which refuses a range any channel of this JVM holds (OverlappingFileLockException), is the in-memory
 * count across servers here. Without a lock file the count is per module and in memory: rsync's default,
 * /var/run/rsyncd.lock, is only writable by root.
 */
final class ConnectionSlots {
    /** A claimed slot; closing it frees the slot for the next client. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * One channel per lock file for the life of the JVM: fcntl drops all of a process's locks on a file as soon
     * as any descriptor of it is closed, so a second channel opened and closed here would free every slot.
     */
    private static final Map<Path, LockFile> LOCK_FILES = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> inMemory = new ConcurrentHashMap<>();

    /** A slot of the module, or empty when all of its max connections are taken; only for max connections > 0. */
    Optional<Slot> claim(ModuleConf module) throws IOException {
        int max = module.maxConnections();
        String lockFile = module.lockFile();
        if (lockFile == null || lockFile.isBlank()) {
            AtomicInteger n = inMemory.computeIfAbsent(module.name(), k -> new AtomicInteger());
            if (n.incrementAndGet() > max) {
                n.decrementAndGet();
                return Optional.empty();
            }
            return Optional.of(n::decrementAndGet);
        }
        Path path = Path.of(lockFile).toAbsolutePath().normalize();
        return LOCK_FILES.computeIfAbsent(path, p -> new LockFile()).claim(path, max);
    }

    private static final class LockFile {
        private FileChannel channel;

        synchronized Optional<Slot> claim(Path path, int max) throws IOException {
            if (channel == null) {
                // rsync opens it O_RDWR|O_CREAT, mode 0600, refusing a symlink planted in its place
                channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            for (int record = 0; record < max; record++) {
                FileLock lock;
                try {
                    lock = channel.tryLock(record * 4L, 4, false); // null: another process holds it
                } catch (OverlappingFileLockException heldInThisJvm) {
                    continue;
                }
                if (lock != null) {
                    return Optional.of(() -> release(lock));
                }
            }
            return Optional.empty();
        }

        private static void release(FileLock lock) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // only a closed channel fails to unlock, and this one stays open for the JVM's life
            }
        }
    }
}
