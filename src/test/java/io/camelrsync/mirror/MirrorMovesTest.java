package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.await;
import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moves inside the source reach a stock rsync daemon, and ours, without their bytes on the wire again (the old copy
 * on the target is the basis), and what is written into a moved directory afterwards is not lost (the JDK's watch
 * keys go on naming the old path).
 */
class MirrorMovesTest {
    private static final int FILE = 256 * 1024;

    @TempDir
    Path work;

    /** Into a stock daemon and into ours (--link-dest, --fuzzy) the moves send no file data. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void movesSendNoFileDataAndLaterWritesArrive(boolean stock) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Random rnd = new Random(7);
        Path tree = Files.createDirectories(src.resolve("photos/2023/raw"));
        for (int i = 0; i < 20; i++) {
            Files.write((i % 2 == 0 ? tree : tree.getParent()).resolve("img" + i + ".bin"), bytes(rnd, FILE));
        }
        Files.write(src.resolve("photos/big.iso"), bytes(rnd, 4 * FILE));
        Files.createDirectories(src.resolve("archive"));
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString()));
        if (stock) {
            settings.put("mirror.daemon.enabled", "false");
        } else { // the embedded default target: our daemon
            settings.put("mirror.daemon.path", dst.toString());
            settings.put("mirror.daemon.config", work.resolve("rsyncd.conf").toString());
            settings.put("mirror.daemon.port", String.valueOf(RsyncDaemon.freePort()));
            EmbeddedTarget.prepare(MirrorSettings.load(settings));
        }
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("mirror", dst))) {
            if (stock) {
                settings.put("mirror.targets", daemon.url("mirror"));
            }
            check(MirrorRun.start(settings), src, dst, stock);
        }
    }

    private static void check(MirrorRun started, Path src, Path dst, boolean stock) throws Exception {
        Random rnd = new Random(8);
        try (MirrorRun run = started) {
            BatchLog batches = run.context.getRegistry().lookupByNameAndType("batchLog", BatchLog.class);
            awaitSame(src, dst, 30_000);
            long total = 24L * FILE; // what is moved below

            long before = settled(run, batches);
            Files.move(src.resolve("photos/2023"), src.resolve("archive/2023-old")); // across directories
            Files.move(src.resolve("photos/big.iso"), src.resolve("photos/big-renamed.iso")); // in its directory
            awaitSame(src, dst, 30_000);
            long sent = settled(run, batches) - before;
            assertTrue(sent < total / 100, "moves sent " + sent + " literal bytes of " + total);

            before = settled(run, batches);
            Files.move(src.resolve("photos/big-renamed.iso"), src.resolve("archive/big-renamed.iso")); // same name
            Files.move(src.resolve("archive/2023-old"), src.resolve("archive/2023")); // moved again
            awaitSame(src, dst, 30_000);
            sent = settled(run, batches) - before;
            assertTrue(sent < total / 100, "second moves sent " + sent + " literal bytes of " + total);

            // the watch keys of the moved directories still carry their first paths: the writes must still land
            Path inMoved = src.resolve("archive/2023/raw/img0.bin");
            Files.write(inMoved, bytes(rnd, FILE));
            Files.write(src.resolve("archive/2023/img1.bin"), bytes(rnd, 100), StandardOpenOption.APPEND);
            Files.writeString(src.resolve("archive/2023/raw/new.txt"), "created after the moves\n");
            Files.createDirectories(src.resolve("archive/2023/raw/later"));
            Files.writeString(src.resolve("archive/2023/raw/later/x.txt"), "in a new directory of a moved one\n");
            awaitSame(src, dst, 30_000);

            // a rename in the middle of a burst of other changes, some of them in the renamed tree
            Path burst = Files.createDirectories(src.resolve("burst"));
            for (int i = 0; i < 300; i++) {
                Files.write(burst.resolve("n" + i), bytes(rnd, 2000));
                if (i == 150) {
                    Files.move(src.resolve("archive/2023"), src.resolve("photos/2024"));
                } else if (i > 150 && i % 30 == 0) {
                    Files.write(src.resolve("photos/2024/raw/n" + i), bytes(rnd, 3000));
                }
            }
            awaitSame(src, dst, 30_000);
        }
    }

    /**
     * A same-size rewrite with its mtime set back, then a move of its directory and of a file in the same batch:
     * the old copies on the target, the moves' basis, still match in size and mtime, so the new paths are sent
     * whatever they say (contents compared). A long quiet time puts the writes and the moves in one batch.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aRewriteJustBeforeAMoveIsNotLostToTheOldCopy() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Random rnd = new Random(9);
        Path notes = Files.createDirectories(src.resolve("notes"));
        Files.write(notes.resolve("doc.txt"), bytes(rnd, 1000));
        Files.write(src.resolve("single.bin"), bytes(rnd, FILE));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("mirror", dst));
             MirrorRun run = MirrorRun.start(Map.of("mirror.source", src.toString(), "mirror.targets",
                     daemon.url("mirror"), "mirror.daemon.enabled", "false", "mirror.quiet-ms", "700",
                     "mirror.max-age-ms", "5000", "mirror.verify-interval", "0"))) {
            MirrorTrees.awaitSame(src, dst, 30_000);
            Thread.sleep(1000); // the start-up sync's batch is done; what follows is one batch
            for (Path p : new Path[] {notes.resolve("doc.txt"), src.resolve("single.bin")}) {
                FileTime t = Files.getLastModifiedTime(p);
                Files.write(p, bytes(rnd, (int) Files.size(p)));
                Files.setLastModifiedTime(p, t);
            }
            Files.move(notes, src.resolve("notes-moved"));
            Files.move(src.resolve("single.bin"), src.resolve("single-moved.bin"));
            MirrorTrees.awaitIdentical(src, dst, "the writes and the moves");
        }
    }

    /**
     * A directory moved onto a path that was a symlink to another directory, in one batch: on the target the
     * symlink is still there when the batch is pushed, so a move's session "into" that path would write through it
     * (a stock daemon follows it); the move goes whole instead, replacing the symlink, and the other directory
     * gets nothing.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aDirectoryMovedOntoAReplacedSymlinkWritesNothingThroughIt() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Path elsewhere = Files.createDirectories(src.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("own.txt"), "stays alone");
        Files.createSymbolicLink(src.resolve("d"), Path.of("elsewhere"));
        Path x = Files.createDirectories(src.resolve("x"));
        Files.write(x.resolve("moved.bin"), bytes(new Random(10), FILE));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("mirror", dst));
             MirrorRun run = MirrorRun.start(Map.of("mirror.source", src.toString(), "mirror.targets",
                     daemon.url("mirror"), "mirror.daemon.enabled", "false", "mirror.quiet-ms", "700",
                     "mirror.max-age-ms", "5000", "mirror.verify-interval", "0"))) {
            MirrorTrees.awaitSame(src, dst, 30_000);
            Thread.sleep(1000); // the start-up sync's batch is done; what follows is one batch
            Files.delete(src.resolve("d"));
            Files.move(x, src.resolve("d"));
            MirrorTrees.awaitIdentical(src, dst, "the move onto the replaced symlink");
        }
    }

    /** The literal bytes of all batches once none is in flight. */
    private static long settled(MirrorRun run, BatchLog batches) throws Exception {
        await(() -> run.context.getInflightRepository().size() == 0, 10_000, "no batch in flight");
        return batches.getLiteralBytes();
    }

    private static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
