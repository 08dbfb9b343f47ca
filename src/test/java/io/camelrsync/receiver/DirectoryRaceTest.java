package io.camelrsync.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.flist.ChmodRules;
import io.camelrsync.fs.Dir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator makes the list's directories while a finisher, linking a hard link's later member, makes the
 * member's missing parents: both may make one directory at once (a stock client's -H push into our daemon
 * once failed whole on "mkdir ... File exists"). Neither may fail for it.
 */
@Timeout(60)
class DirectoryRaceTest {

    @Test
    void theGeneratorAndAHardLinkMakeOneDirectoryAtOnce(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("first"), "leader");
        DestinationTree.Policy policy = new DestinationTree.Policy(true, true, false, false, false, false,
                ChmodRules.parse(null), Ownership.ofThisProcess(), false);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int rounds = 400;
        try (DestinationTree tree = new DestinationTree(Dir.open(root), policy);
             DestinationTree.Node first = tree.locate("first", false)) {
            for (int i = 0; i < rounds; i++) {
                String top = "d" + i;
                CyclicBarrier together = new CyclicBarrier(2);
                Future<?> generator = pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    try (DestinationTree.Node n = tree.locate(top, false)) {
                        tree.makeDirectory(n);
                    }
                    return null;
                });
                Future<?> finisher = pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    tree.hardLink(top + "/e/member", first);
                    return null;
                });
                generator.get(10, TimeUnit.SECONDS);
                finisher.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Object leader = Files.readAttributes(root.resolve("first"), BasicFileAttributes.class).fileKey();
        for (int i = 0; i < rounds; i++) {
            Path member = root.resolve("d" + i + "/e/member");
            assertTrue(Files.isDirectory(root.resolve("d" + i)), "d" + i);
            assertEquals(leader, Files.readAttributes(member, BasicFileAttributes.class).fileKey(), member.toString());
        }
    }
}
