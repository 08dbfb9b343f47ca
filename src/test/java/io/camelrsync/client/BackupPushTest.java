package io.camelrsync.client;

import static io.camelrsync.testing.TreeSnapshot.assertSameTreeExceptDirTimes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our client's -b, --backup-dir and --suffix against a stock rsync daemon: our push into one module and the
 * stock client's same push into another must leave the same trees (directory times inside a backup tree are the
 * clock's), which they only do when the daemon got the options as stock rsync sends them.
 */
class BackupPushTest {
    private static final FileTime T1 = FileTime.from(Instant.parse("2021-01-01T10:00:00Z"));
    private static final FileTime T2 = FileTime.from(Instant.parse("2022-02-02T10:00:00Z"));
    private static final FileTime T3 = FileTime.from(Instant.parse("2023-03-03T10:00:00Z"));

    @TempDir
    Path work;
    Path src;
    Path ourModule;
    Path stockModule;
    RsyncDaemon daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    void start() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        ourModule = Files.createDirectories(work.resolve("ours"));
        stockModule = Files.createDirectories(work.resolve("stock"));
        daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("ours", ourModule)
                + RsyncDaemon.module("stock", stockModule));
    }

    /** Our push into "ours" and the stock client's into "stock"; same exit code, same trees. */
    Cli both(String backupTree, String... options) throws Exception {
        List<String> ours = new ArrayList<>(List.of("push"));
        ours.addAll(List.of(options));
        ours.add(src + "/");
        ours.add(daemon.url("ours"));
        Cli c = Cli.run(ours.toArray(String[]::new));
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(options));
        cmd.add(src + "/");
        cmd.add(daemon.url("stock"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rsync did not finish: " + cmd);
        String context = c + "\n--- stock client ---\n" + out + "\n--- daemon log ---\n" + daemon.log();
        assertEquals(p.exitValue(), c.exitCode(), "exit codes differ\n" + context);
        assertSameTreeExceptDirTimes(stockModule, ourModule, backupTree);
        return c;
    }

    void write(String rel, String text, FileTime time) throws Exception {
        Path p = src.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setLastModifiedTime(p, time);
    }

    void firstTree() throws Exception {
        write("edit.txt", "version 1\n", T1);
        write("gone.txt", "deleted later\n", T1);
        write("d/f.txt", "in a deleted directory\n", T1);
        write("d/e/deep.txt", "deeper\n", T1);
        write("sub/inner.txt", "inner 1\n", T1);
        Files.createSymbolicLink(src.resolve("link"), Path.of("edit.txt"));
    }

    void changes() throws Exception {
        write("edit.txt", "version 2\n", T2);
        write("sub/inner.txt", "inner 2\n", T2);
        Files.delete(src.resolve("gone.txt"));
        Files.delete(src.resolve("d/e/deep.txt"));
        Files.delete(src.resolve("d/e"));
        Files.delete(src.resolve("d/f.txt"));
        Files.delete(src.resolve("d"));
        Files.delete(src.resolve("link"));
        Files.createSymbolicLink(src.resolve("link"), Path.of("sub/inner.txt"));
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 32})
    @Timeout(120)
    void backupDirAndSuffixAsTheStockClientSendsThem(int protocol) throws Exception {
        start();
        firstTree();
        String p = "--protocol=" + protocol;
        assertEquals(0, both("", "-a", "--delete", p).exitCode());
        changes();
        Cli c = both(".trash", "-a", "--delete", p, "--backup-dir=./.trash/day1", "--suffix=.old",
                "--exclude=/.trash/");
        assertEquals(0, c.exitCode(), c::toString);
        Path day = ourModule.resolve(".trash/day1");
        assertEquals("version 1\n", Files.readString(day.resolve("edit.txt.old")));
        assertEquals("inner 1\n", Files.readString(day.resolve("sub/inner.txt.old")));
        assertEquals("deleted later\n", Files.readString(day.resolve("gone.txt.old")));
        assertEquals("in a deleted directory\n", Files.readString(day.resolve("d/f.txt.old")));
        assertEquals("deeper\n", Files.readString(day.resolve("d/e/deep.txt.old")));
        assertEquals(Path.of("edit.txt"), Files.readSymbolicLink(day.resolve("link.old")));
        assertEquals("version 2\n", Files.readString(ourModule.resolve("edit.txt")));
        assertFalse(Files.exists(ourModule.resolve("d")));

        // the next day's dir; the excluded trash survives --delete
        write("edit.txt", "version 3\n", T3);
        c = both(".trash", "-a", "--delete", p, "--backup-dir=.trash/day2", "--exclude=/.trash/");
        assertEquals(0, c.exitCode(), c::toString);
        assertEquals("version 2\n", Files.readString(ourModule.resolve(".trash/day2/edit.txt")));
        assertTrue(Files.exists(day.resolve("d/e/deep.txt.old")));
    }

    @Test
    @Timeout(120)
    void backupBesideTheFileIsProtectedFromTheNextDelete() throws Exception {
        start();
        firstTree();
        assertEquals(0, both("", "-a", "--delete").exitCode());
        changes();
        Cli c = both("", "-av", "--delete", "-b");
        assertEquals(0, c.exitCode(), c::toString);
        assertEquals("version 1\n", Files.readString(ourModule.resolve("edit.txt~")));
        assertEquals("deeper\n", Files.readString(ourModule.resolve("d/e/deep.txt~")));
        assertTrue(c.out().contains("deleting gone.txt"), c::toString);

        // rsync sends "P *~" after the user's rules: the backups survive the next --delete
        write("edit.txt", "version 3\n", T3);
        c = both("", "-a", "--delete", "--backup");
        assertEquals("version 2\n", Files.readString(ourModule.resolve("edit.txt~")), c::toString);
        assertTrue(Files.exists(ourModule.resolve("gone.txt~")));

        write("edit.txt", "version 4\n", T1);
        c = both("", "-a", "-b", "--suffix=.bak");
        assertEquals("version 3\n", Files.readString(ourModule.resolve("edit.txt.bak")), c::toString);
    }

    @Test
    @Timeout(30)
    void suffixMistakesAreRsyncsUsageErrors() throws Exception {
        Path s = Files.createDirectories(work.resolve("s"));
        Cli c = Cli.run("push", "-a", "-b", "--suffix=", s + "/", "rsync://127.0.0.1:1/m");
        assertEquals(1, c.exitCode(), c::toString);
        assertTrue(c.err().contains("--suffix cannot be empty without a --backup-dir"), c::toString);
        c = Cli.run("push", "-a", "--backup-dir=.", s + "/", "rsync://127.0.0.1:1/m");
        assertEquals(1, c.exitCode(), c::toString);
        assertTrue(c.err().contains("--suffix cannot be empty when --backup-dir is the same as the dest dir"),
                c::toString);
        c = Cli.run("push", "-a", "-b", "--suffix=a/b", s + "/", "rsync://127.0.0.1:1/m");
        assertEquals(1, c.exitCode(), c::toString);
        assertTrue(c.err().contains("--suffix cannot contain slashes: a/b"), c::toString);
    }

    @Test
    void optionValuesAreEscapedAsSafeArgEscapesThem() {
        assertEquals(".trash/2024-05-01", io.camelrsync.protocol.ClientArgs.safeArg(".trash/2024-05-01"));
        assertEquals("old\\ files\\ \\[\\*\\]", io.camelrsync.protocol.ClientArgs.safeArg("old files [*]"));
        assertEquals("\\;v1\\$", io.camelrsync.protocol.ClientArgs.safeArg(";v1$"));
        assertEquals("a\\\\b", io.camelrsync.protocol.ClientArgs.safeArg("a\\b"));
    }
}
