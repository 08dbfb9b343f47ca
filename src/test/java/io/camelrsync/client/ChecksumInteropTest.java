package io.camelrsync.client;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each block checksum we can negotiate, forced one at a time against the stock daemon: a wrong seed, byte
 * order or digest shows up as unmatched blocks (all literal) or as a whole-file checksum failure.
 */
class ChecksumInteropTest {
    @TempDir
    static Path work;
    static RsyncDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        Path motd = work.resolve("motd");
        Files.writeString(motd, "Welcome to the checksum test daemon\n");
        StringBuilder modules = new StringBuilder("motd file = " + motd + "\n");
        for (String c : new String[] {"xxh128", "xxh3", "xxh64", "md5"}) {
            modules.append(RsyncDaemon.module(c, Files.createDirectories(work.resolve("mod-" + c))));
        }
        daemon = RsyncDaemon.start(work.resolve("daemon"), modules.toString());
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        daemon.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"xxh128", "xxh3", "xxh64", "md5"})
    void deltaWithEachChecksumMatchesBlocksAndVerifies(String checksum) throws Exception {
        Path src = Files.createDirectories(work.resolve("src-" + checksum));
        Path f = src.resolve("data.bin");
        byte[] data = new byte[2 << 20];
        new Random(checksum.hashCode()).nextBytes(data);
        Files.write(f, data);
        String url = daemon.url(checksum);
        Cli first = Cli.run("push", "-a", "--checksum-choice=" + checksum, src + "/", url);
        assertEquals(0, first.exitCode(), first::toString);
        assertTrue(first.out().contains("Welcome to the checksum test daemon"), "MOTD is shown\n" + first);

        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(1 << 20);
            raf.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        }
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2023-05-06T07:08:09Z")));
        Cli delta = Cli.run("push", "-a", "--stats", "--checksum-choice=" + checksum, src + "/", url);
        assertEquals(0, delta.exitCode(), delta::toString);
        assertTrue(delta.stat("Matched data") > data.length * 9L / 10, "blocks must match\n" + delta);
        assertTrue(delta.stat("Literal data") < 20_000, delta::toString);
        assertSameTree(src, work.resolve("mod-" + checksum));
    }
}
