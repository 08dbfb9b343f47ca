package io.camelrsync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal a stock daemon can give reads as rsync's message, with rsync's exit code. */
class PushErrorsTest {
    @TempDir
    static Path work;
    static RsyncDaemon daemon;
    static Path src;
    static Path goodPassword;
    static Path wrongPassword;

    @BeforeAll
    static void startDaemon() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f.txt"), "data");
        Path secrets = work.resolve("rsync.pass");
        Files.writeString(secrets, "rsync:123456\n");
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rw-------"));
        goodPassword = passwordFile("good.pass", "123456");
        wrongPassword = passwordFile("wrong.pass", "654321");
        String modules = RsyncDaemon.module("app_rsync_client", Files.createDirectories(work.resolve("secure")),
                "list = no", "max connections = 200", "timeout = 600", "auth users = rsync",
                "secrets file = " + secrets, "hosts allow = 127.0.0.1", "hosts deny = 192.168.0.46,192.168.0.47")
                + RsyncDaemon.module("readonly", Files.createDirectories(work.resolve("ro")), "read only = yes")
                + RsyncDaemon.module("denied", Files.createDirectories(work.resolve("denied")),
                "hosts deny = 127.0.0.1")
                + RsyncDaemon.module("nodelete", Files.createDirectories(work.resolve("nodel")),
                "refuse options = delete");
        daemon = RsyncDaemon.start(work.resolve("daemon"), modules);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        daemon.close();
    }

    static Path passwordFile(String name, String password) throws Exception {
        Path p = work.resolve(name);
        Files.writeString(p, password + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    private String seedDest() {
        return "rsync@127.0.0.1::app_rsync_client";
    }

    @Test
    void theSeedCommandLineWorksWithTheRightPassword() throws Exception {
        Path excludes = work.resolve("exclude.list");
        Files.writeString(excludes, "a/\nb/b1/\n");
        Files.writeString(src.resolve("seed.txt"), "pushed by the seed command line");
        Cli r = Cli.run("push", "-avH", "--port=" + daemon.port(), "--progress", "--delete",
                "--exclude-from=" + excludes, src + "/", seedDest(), "--password-file=" + goodPassword);
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("pushed by the seed command line", Files.readString(work.resolve("secure/seed.txt")));
        assertTrue(r.out().contains("seed.txt"), r::toString);
        assertTrue(r.out().contains("100%"), "--progress shows a completion line\n" + r);
    }

    @Test
    void rsyncPasswordEnvironmentVariableLogsIn() throws Exception {
        Files.writeString(src.resolve("env.txt"), "via RSYNC_PASSWORD");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.camelrsync.cli.Main", "push", "-a",
                "--port=" + daemon.port(), src + "/", seedDest()).redirectErrorStream(true);
        pb.environment().put("RSYNC_PASSWORD", "123456");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals("via RSYNC_PASSWORD", Files.readString(work.resolve("secure/env.txt")));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "protocol {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {30, 31, 32})
    void loginWorksAtEveryProtocol(int protocol) throws Exception {
        // 30 and 31 send no digest list, so the login is md5; 32 negotiates sha512 with a 3.5 daemon
        Files.writeString(src.resolve("login" + protocol + ".txt"), "protocol " + protocol);
        Cli r = Cli.run("push", "-a", "--protocol=" + protocol, "--port=" + daemon.port(), src + "/", seedDest(),
                "--password-file=" + goodPassword);
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("protocol " + protocol, Files.readString(work.resolve("secure/login" + protocol + ".txt")));
    }

    @Test
    void wrongPasswordIsAuthFailedExit5() {
        Cli r = Cli.run("push", "-a", "--port=" + daemon.port(), src + "/", seedDest(),
                "--password-file=" + wrongPassword);
        assertEquals(5, r.exitCode(), r::toString);
        assertTrue(r.err().contains("@ERROR: auth failed on module app_rsync_client"), r::toString);
        assertTrue(r.err().contains("secrets file"), "the error says what to check\n" + r);
    }

    @Test
    void unknownUserIsAuthFailedExit5() {
        Cli r = Cli.run("push", "-a", "--port=" + daemon.port(), src + "/",
                "nobody@127.0.0.1::app_rsync_client", "--password-file=" + goodPassword);
        assertEquals(5, r.exitCode(), r::toString);
        assertTrue(r.err().contains("@ERROR: auth failed on module app_rsync_client"), r::toString);
    }

    @Test
    void unknownModuleExit5() {
        Cli r = Cli.run("push", "-a", src + "/", daemon.url("no_such_module"));
        assertEquals(5, r.exitCode(), r::toString);
        assertTrue(r.err().contains("@ERROR: Unknown module 'no_such_module'"), r::toString);
    }

    @Test
    void readOnlyModuleExit1() {
        Cli r = Cli.run("push", "-a", src + "/", daemon.url("readonly"));
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("ERROR: module is read only"), r::toString);
        assertFalse(Files.exists(work.resolve("ro/f.txt")));
    }

    @Test
    void deniedHostExit5() {
        Cli r = Cli.run("push", "-a", src + "/", daemon.url("denied"));
        assertEquals(5, r.exitCode(), r::toString);
        assertTrue(r.err().contains("@ERROR: access denied to denied from"), r::toString);
    }

    @Test
    void refusedOptionExit4() {
        Cli r = Cli.run("push", "-a", "--delete", src + "/", daemon.url("nodelete"));
        assertEquals(4, r.exitCode(), r::toString);
        assertTrue(r.err().contains("The server is configured to refuse --delete"), r::toString);
        assertEquals(1, r.err().split("refuse --delete", -1).length - 1, "the daemon's text is shown once\n" + r);
    }

    @Test
    void passwordFileReadableByOthersIsRefused() throws Exception {
        Path open = passwordFile("open.pass", "123456");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        Cli r = Cli.run("push", "-a", "--port=" + daemon.port(), src + "/", seedDest(), "--password-file=" + open);
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("password file must not be other-accessible"), r::toString);
        assertTrue(r.err().contains("chmod 600"), r::toString);
    }

    @Test
    void withoutRecursionADirectoryIsSkippedAsRsyncDoes() throws Exception {
        Cli r = Cli.run("push", "-lpt", src + "/", daemon.url("nodelete"));
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().contains("skipping directory ."), r::toString);
        try (var listing = Files.list(work.resolve("nodel"))) {
            assertEquals(0, listing.count(), "nothing may be written");
        }
    }

    @Test
    void missingSourceNamesThePath() {
        Path missing = work.resolve("app/rsync_client");
        Cli r = Cli.run("push", "-a", missing + "/", daemon.url("nodelete"));
        assertEquals(23, r.exitCode(), r::toString);
        assertTrue(r.err().contains("rsync: link_stat \"" + missing + "\" failed: No such file or directory (2)"),
                r::toString);
    }

    @Test
    void nothingListensIsASocketError() throws Exception {
        Cli r = Cli.run("push", "-a", src + "/", "rsync://127.0.0.1:1/mod");
        assertEquals(10, r.exitCode(), r::toString);
        assertTrue(r.err().contains("failed to connect to 127.0.0.1"), r::toString);
    }
}
