package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * After lost events (an inotify overflow, a watcher that failed and was restarted), the full sync cannot rely on
 * rsync's quick check alone: a same-size rewrite within the second, never seen, would pass it. What changed since
 * the mirror went blind is found by ctime, which a write always moves and no one can set back, and sent first,
 * named, with -I (see {@link ChangeSet#isWholeTree()}). Bounded: past {@link #MAX_PATHS} it is a plain full sync.
 */
final class ChangedSince {
    static final int MAX_PATHS = 100_000;

    private ChangedSince() {
    }

    /** A full sync of {@code source} that names every non-directory whose ctime is at or after {@code since}. */
    static ChangeSet fullSync(Path source, long sinceMillis) {
        ChangeSet.Builder b = ChangeSet.builder().add("./");
        int[] count = {0};
        try {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = source.relativize(file).toString();
                    // a name that is not UTF-8 cannot be named here (it reads with U+FFFD): the quick check has it
                    if (!attrs.isDirectory() && rel.indexOf('\uFFFD') < 0 && changed(file, sinceMillis)) {
                        if (++count[0] > MAX_PATHS) {
                            return FileVisitResult.TERMINATE;
                        }
                        b.add(rel);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // gone or unreadable: the full sync reports it as rsync does
                }
            });
        } catch (IOException | RuntimeException e) {
            return ChangeSets.fullSync(); // the quick check alone, as before
        }
        return count[0] > MAX_PATHS ? ChangeSets.fullSync() : b.build();
    }

    private static boolean changed(Path file, long sinceMillis) {
        try {
            FileTime ctime = (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
            return ctime.toMillis() >= sinceMillis;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
