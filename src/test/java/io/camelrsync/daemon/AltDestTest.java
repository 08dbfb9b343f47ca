package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --link-dest, --copy-dest and --compare-dest received by our daemon (generator.c try_dests_reg, try_dests_non).
 * The stock daemon is the referee: the stock client pushes the same tree into both with the same basis dir, and
 * exit codes, -i listings and module trees (hard-link groups included: a linked file shares the alt file's inode)
 * must agree, while our daemon's session says how little literal data crossed. Then what only our daemon must
 * also survive: basis dirs that try to reach outside the module by name or through a symlink.
 */
class AltDestTest {
    private static final FileTime T1 = FileTime.from(Instant.parse("2021-01-01T10:00:00Z"));
    private static final FileTime T2 = FileTime.from(Instant.parse("2022-02-02T10:00:00Z"));
    private static final int BIG = 200_000;

    @TempDir
    Path work;
    Path src;
    Path stockModule;
    Path ourModule;
    RsyncDaemon stock;
    DaemonServer ours;
    final List<String> ourLog = new CopyOnWriteArrayList<>();
    final List<DaemonServer.Session> sessions = new CopyOnWriteArrayList<>();

    record Run(int exit, String output) {
    }

    @AfterEach
    void stop() throws Exception {
        if (stock != null) {
            stock.close();
        }
        if (ours != null) {
            ours.close();
        }
    }

    /** Both daemons with module "m" (chrooted, as the stock default), or ours alone, not chrooted. */
    void start(boolean withStock, String... moduleLines) throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        stockModule = Files.createDirectories(work.resolve("stock/m"));
        ourModule = Files.createDirectories(work.resolve("ours/m"));
        for (Path m : List.of(stockModule, ourModule)) { // a destination below a path of the module
            Files.setLastModifiedTime(Files.createDirectories(m.resolve("site")), T1);
        }
        String module = withStock ? RsyncDaemon.module("m", ourModule, moduleLines)
                : "[m]\npath = " + ourModule + "\nread only = no\nuid = root\ngid = root\nuse chroot = no\n";
        if (withStock) {
            stock = RsyncDaemon.start(work.resolve("stock-daemon"), RsyncDaemon.module("m", stockModule, moduleLines));
        }
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, module);
        ours = new DaemonServer(RsyncdConf.read(conf), ourLog::add, sessions::add);
        ours.start("127.0.0.1", 0);
    }

    String ourUrl(String path) {
        return "rsync://127.0.0.1:" + ours.port() + "/" + path;
    }

    /** The stock client; its output goes to a file, so that a client that hangs is ended, not waited for. */
    Run rsync(String url, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(args));
        cmd.add(src + "/");
        cmd.add(url);
        Path log = Files.createTempFile(work, "rsync", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("rsync did not finish: " + cmd + "\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    /** Our daemon's last session (recorded when it ends, which the client may not wait for). */
    DaemonServer.Session lastSession() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sessions.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(sessions.isEmpty(), "no session was recorded: " + ourLog);
        DaemonServer.Session s = sessions.get(sessions.size() - 1);
        assertNull(s.failure(), () -> "the session failed: " + s.failure() + "\n" + ourLog);
        return s;
    }

    /** The same push into both daemons; same exit code, same -i listing (of a push that worked), same trees. */
    Run both(String path, String... args) throws Exception {
        Run referee = rsync(stock.url(path), args);
        Run ourRun = rsync(ourUrl(path), args);
        String dest = path.substring(path.indexOf('/') + 1);
        for (Path m : List.of(stockModule, ourModule)) { // made the destination: its time is the clock's
            Files.setLastModifiedTime(m.resolve("site"), T1);
            // a refused push may have made its destination too (both daemons mkdir it before checking the basis
            // dirs), at the clock's time, which differs between the two runs
            if (referee.exit() != 0 && !dest.equals(path) && Files.isDirectory(m.resolve(dest))) {
                Files.setLastModifiedTime(m.resolve(dest), T1);
            }
        }
        String context = "\n--- stock client into stock daemon ---\n" + referee.output()
                + "\n--- stock client into ours ---\n" + ourRun.output() + "\n--- our log ---\n"
                + String.join("\n", ourLog);
        assertEquals(referee.exit(), ourRun.exit(), "exit codes differ" + context);
        if (referee.exit() == 0) { // a refusal's wording around rsync's own line differs (stock names its source)
            assertEquals(listing(referee.output()), listing(ourRun.output()), "-i listings differ" + context);
        }
        TreeSnapshot.assertSameTree(stockModule, ourModule);
        return new Run(ourRun.exit(), ourRun.output() + context);
    }

    /**
     * The itemized lines and messages, sorted (their order may differ). Left out: our daemon's "created directory"
     * line, which stock rsync prints at -v or -i only, and hard-link members ("hf ... => leader"), which our
     * daemon does not itemize.
     */
    static List<String> listing(String output) {
        return Arrays.stream(output.split("\n")).filter(l -> !l.isBlank() && !l.startsWith("created directory ")
                && !l.contains(" => ")).sorted().collect(Collectors.toList());
    }

    void write(String rel, byte[] data, FileTime time) throws Exception {
        Path p = src.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        Files.setLastModifiedTime(p, time);
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A tree with one of each case try_dests_reg and try_dests_non tell apart. */
    void tree() throws Exception {
        write("same.bin", random(1, BIG + 1), T1); // unchanged: level 3 (its own size: --fuzzy's first choice)
        write("dir/deep.bin", random(2, BIG), T1); // unchanged, below a directory
        write("edited.bin", random(3, BIG), T1); // a few bytes change: level 1, a basis
        write("chmod.bin", random(4, BIG), T1); // only its mode changes: level 2
        write("group/a.bin", random(5, BIG), T1);
        Files.createLink(src.resolve("group/b.bin"), src.resolve("group/a.bin")); // a hard-link group
        Files.createSymbolicLink(src.resolve("link"), Path.of("same.bin"));
        Files.createDirectories(src.resolve("empty"));
        Files.setLastModifiedTime(src.resolve("empty"), T1);
        Files.setLastModifiedTime(src.resolve("dir"), T1);
        Files.setLastModifiedTime(src.resolve("group"), T1);
        Files.setLastModifiedTime(src, T1);
    }

    /**
     * What changes after the old copy is on the daemon; {@code newMember}: a new member joins the hard-link group
     * (not with --compare-dest in a refereed push: stock rsync 3.2.7 links the members it compared away to the
     * new one, then hangs; see aMemberSentLinksTheMembersComparedAway).
     */
    void change(boolean newMember) throws Exception {
        byte[] edited = random(3, BIG);
        edited[BIG / 2] ^= 1;
        write("edited.bin", edited, T2);
        Files.setPosixFilePermissions(src.resolve("chmod.bin"), PosixFilePermissions.fromString("rw-------"));
        write("new.bin", random(6, 1000), T2); // nothing of it anywhere: sent whole
        if (newMember) {
            Files.createLink(src.resolve("group/c.bin"), src.resolve("group/a.bin"));
            Files.setLastModifiedTime(src.resolve("group"), T1);
        }
        Files.setLastModifiedTime(src, T2);
    }

    @ParameterizedTest(name = "--{0}, protocol {1}")
    @CsvSource({"link-dest, 30", "link-dest, 32", "copy-dest, 31", "compare-dest, 32"})
    @Timeout(120)
    void aBasisDirServesAsOnTheStockDaemon(String option, int protocol) throws Exception {
        start(true);
        tree();
        String p = "--protocol=" + protocol;
        assertEquals(0, both("m/site/old", "-aH", p).exit());
        change(!option.equals("compare-dest"));
        sessions.clear();
        Run r = both("m/site/new", "-aHi", p, "--" + option + "=/site/old"); // absolute: from the module's root
        assertEquals(0, r.exit(), r.output());
        check(option, "new", lastSession().stats(), r.output());

        // Relative: from the destination, climbing out of it but never out of the module. Stock rsync 3.2.7
        // mishandles these on a daemon (chrooted, a delta against one fails verification; not chrooted, it is not
        // found: rsync 3.4's #915), so ours is held to what the absolute dir gave.
        for (String[] c : new String[][] {{"rel1", "../old"}, {"rel2", "../../../site/old/"}}) {
            sessions.clear();
            Run rel = rsync(ourUrl("m/site/" + c[0]), "-aHi", p, "--" + option + "=" + c[1]);
            assertEquals(0, rel.exit(), rel.output() + ourLog);
            assertEquals(listing(r.output().substring(0, r.output().indexOf("\n--- stock client into stock"))),
                    listing(rel.output()));
            TreeSnapshot.assertSameTree(ourModule.resolve("site/new"), ourModule.resolve("site/" + c[0]));
            check(option, c[0], lastSession().stats(), rel.output());
        }
    }

    /** What each option leaves in {@code dir}, and that only the new file and a block of the edit were sent. */
    void check(String option, String dir, ReceiveStats s, String output) throws Exception {
        assertTrue(s.literalBytes < 1000 + 2 * 700, "literal " + s.literalBytes + output); // new.bin, a block
        Path old = ourModule.resolve("site/old");
        Path now = ourModule.resolve("site/" + dir);
        switch (option) {
            case "link-dest" -> {
                assertEquals(inode(old.resolve("same.bin")), inode(now.resolve("same.bin")), output);
                assertEquals(inode(old.resolve("dir/deep.bin")), inode(now.resolve("dir/deep.bin")));
                assertEquals(inode(old.resolve("group/a.bin")), inode(now.resolve("group/b.bin")));
                assertEquals(inode(old.resolve("group/a.bin")), inode(now.resolve("group/c.bin")));
                assertEquals(inode(old.resolve("link")), inode(now.resolve("link")), "a symlink is linked too");
                assertNotEquals(inode(old.resolve("chmod.bin")), inode(now.resolve("chmod.bin")));
                assertEquals(3, s.linkedFiles, output);
            }
            case "copy-dest" -> {
                assertNotEquals(inode(old.resolve("same.bin")), inode(now.resolve("same.bin")));
                assertTrue(Files.exists(now.resolve("group/b.bin")));
                assertEquals(4, s.copiedFiles, output);
            }
            default -> { // compare-dest: what is unchanged is not there at all
                assertFalse(Files.exists(now.resolve("same.bin")), output);
                assertFalse(Files.exists(now.resolve("group/b.bin")), output);
                assertFalse(Files.exists(now.resolve("link"), LinkOption.NOFOLLOW_LINKS), output);
                assertTrue(Files.exists(now.resolve("chmod.bin")), "a changed mode is copied");
            }
        }
        assertTrue(Files.exists(now.resolve("edited.bin")));
    }

    /**
     * try_dests_reg with the destination there: only an exact match counts, and it wins over the file in place:
     * --link-dest replaces it with a link, --compare-dest removes it; a file already that link is kept.
     */
    @Test
    @Timeout(120)
    void anExactMatchWinsOverTheFileInPlace() throws Exception {
        start(true);
        tree();
        assertEquals(0, both("m/site/old", "-aH").exit());
        change(false);
        Run r = both("m/site/new", "-aHi", "--copy-dest=/site/old");
        assertEquals(0, r.exit(), r.output());
        Path now = ourModule.resolve("site/new");
        long copied = inode(now.resolve("same.bin"));
        r = both("m/site/new", "-aHi", "--link-dest=/site/old");
        assertEquals(0, r.exit(), r.output());
        assertNotEquals(copied, inode(now.resolve("same.bin")));
        assertEquals(inode(ourModule.resolve("site/old/same.bin")), inode(now.resolve("same.bin")), r.output());
        r = both("m/site/new", "-aHi", "--link-dest=/site/old"); // nothing left to do
        assertEquals(0, r.exit(), r.output());
        r = both("m/site/new", "-aHi", "--compare-dest=/site/old");
        assertEquals(0, r.exit(), r.output());
        assertFalse(Files.exists(now.resolve("same.bin")), r.output());
        assertTrue(Files.exists(now.resolve("edited.bin")), r.output());
    }

    /**
     * -H with --compare-dest: the group's members in the alt dir are compared away, so a new member leads and is
     * sent; those compared away are then linked to it, as stock rsync 3.2.7 links them (finish_hard_link) just
     * before it hangs, which is why ours is checked alone here.
     */
    @Test
    @Timeout(60)
    void aMemberSentLinksTheMembersComparedAway() throws Exception {
        start(false);
        tree();
        assertEquals(0, rsync(ourUrl("m/old"), "-aH").exit());
        Files.createLink(src.resolve("group/c.bin"), src.resolve("group/a.bin"));
        Files.setLastModifiedTime(src.resolve("group"), T1);
        Run r = rsync(ourUrl("m/new"), "-aHi", "--compare-dest=../old");
        assertEquals(0, r.exit(), r.output() + ourLog);
        Path g = ourModule.resolve("new/group");
        assertEquals(inode(g.resolve("c.bin")), inode(g.resolve("a.bin")), r.output());
        assertEquals(inode(g.resolve("c.bin")), inode(g.resolve("b.bin")), r.output());
        assertNotEquals(inode(ourModule.resolve("old/group/a.bin")), inode(g.resolve("a.bin")));
        assertFalse(Files.exists(ourModule.resolve("new/same.bin")), "what is in no group stays compared away");
    }

    /** The module's "refuse options" and its exclude rules apply to basis dirs as the stock daemon applies them. */
    @Test
    @Timeout(120)
    void refusedOrExcludedAsTheStockDaemonRefusesThem() throws Exception {
        start(true, "refuse options = *-dest", "exclude = /site/private/");
        tree();
        Run r = both("m/site/new", "-a", "--link-dest=/site/old");
        assertEquals(4, r.exit(), r.output());
        assertTrue(r.output().contains("The server is configured to refuse --link-dest"), r.output());
        stop();
        work = Files.createDirectories(work.resolve("second"));
        start(true, "exclude = /site/private/");
        tree();
        r = both("m/site/new", "-a", "--compare-dest=/site/private");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Your options have been rejected by the server."), r.output());
        r = both("m/site/new", "-a", "--copy-dest=/site/private/deeper");
        assertEquals(1, r.exit(), r.output());
    }

    /** -yy: a renamed file finds its old copy in the basis dir, as the stock daemon finds it. */
    @Test
    @Timeout(120)
    void fuzzyLooksInTheBasisDirsToo() throws Exception {
        start(true);
        tree();
        assertEquals(0, both("m/site/old", "-a").exit());
        Files.move(src.resolve("same.bin"), src.resolve("renamed.bin"));
        sessions.clear();
        Run r = both("m/site/new", "-aiyy", "--compare-dest=/site/old");
        assertEquals(0, r.exit(), r.output());
        assertTrue(lastSession().stats().literalBytes < 1000, "literal " + lastSession().stats().literalBytes
                + r.output());
        assertTrue(Files.exists(ourModule.resolve("site/new/renamed.bin")));
    }

    @Test
    @Timeout(120)
    void severalDirsTheFirstBestMatchWinsAndAMissingOneIsWarnedAbout() throws Exception {
        start(true);
        tree();
        assertEquals(0, both("m/b1", "-a").exit());
        change(false);
        assertEquals(0, both("m/b2", "-a").exit());
        write("same.bin", random(7, BIG), T2); // now only a basis in either
        Run r = both("m/new", "-ai", "--link-dest=/missing", "--link-dest=/b1", "--link-dest=../b2");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("--link-dest arg does not exist: /missing"), r.output());
        Path now = ourModule.resolve("new");
        assertEquals(inode(ourModule.resolve("b1/dir/deep.bin")), inode(now.resolve("dir/deep.bin")));
        assertEquals(inode(ourModule.resolve("b2/edited.bin")), inode(now.resolve("edited.bin")), "b2 matches exactly");
    }

    @Test
    @Timeout(120)
    void aDryRunChangesNothing() throws Exception {
        start(true);
        tree();
        assertEquals(0, both("m/old", "-a").exit());
        change(false);
        for (String option : List.of("--link-dest=../old", "--copy-dest=../old", "--compare-dest=../old")) {
            Run r = both("m/new", "-ain", option);
            assertEquals(0, r.exit(), r.output());
            assertFalse(Files.exists(ourModule.resolve("new")), r.output());
        }
    }

    @Test
    @Timeout(120)
    void fuzzyFindsARenamedFile() throws Exception {
        start(true);
        tree();
        assertEquals(0, both("m", "-a").exit());
        Files.move(src.resolve("same.bin"), src.resolve("renamed.bin"));
        Files.move(src.resolve("dir/deep.bin"), src.resolve("dir/deeper.bin"));
        Files.setLastModifiedTime(src.resolve("dir/deeper.bin"), T2); // found by its name, not its time
        sessions.clear();
        Run r = both("m", "-aiy"); // without --delete: ours deletes during the transfer, as --delete-during does
        assertEquals(0, r.exit(), r.output());
        assertTrue(lastSession().stats().literalBytes < 1000, "literal " + lastSession().stats().literalBytes + r.output());
    }

    static long inode(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    // ------------------------------------------------------------------ ours only: escapes

    Path outside;

    /**
     * Our daemon alone, not chrooted (the tutorials' setup), with a sentinel beside the module holding the very
     * files the client pushes (same.bin exactly, near.bin but for a byte): were it reachable as a basis dir, they
     * would be linked, copied, skipped or sent as a delta against it.
     */
    void startConfined() throws Exception {
        start(false);
        outside = Files.createDirectories(work.resolve("outside"));
        write("same.bin", random(1, BIG), T1);
        byte[] near = random(2, BIG);
        write("near.bin", near, T1);
        write("sub/same.bin", random(1, BIG), T1);
        Files.write(outside.resolve("same.bin"), random(1, BIG));
        Files.setLastModifiedTime(outside.resolve("same.bin"), T1);
        Files.setPosixFilePermissions(outside.resolve("same.bin"), Files.getPosixFilePermissions(src.resolve("same.bin")));
        near[7] ^= 1;
        Files.write(outside.resolve("near.bin"), near);
        Files.createDirectories(outside.resolve("sub"));
        Files.copy(outside.resolve("same.bin"), outside.resolve("sub/same.bin"),
                java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--link-dest=../../outside", "--link-dest=/../outside", "--link-dest=ABSOLUTE",
            "--copy-dest=../../../outside", "--compare-dest=/../../outside", "--link-dest=/alt-link",
            "--compare-dest=../alt-link/", "--link-dest=/alt-with-links", "--copy-dest=/alt-with-links"})
    @Timeout(60)
    void aBasisDirReadsAndLinksNothingOutsideTheModule(String option) throws Exception {
        startConfined();
        Files.createSymbolicLink(ourModule.resolve("alt-link"), outside); // the dir itself is a symlink
        Path withLinks = Files.createDirectories(ourModule.resolve("alt-with-links"));
        Files.createSymbolicLink(withLinks.resolve("same.bin"), outside.resolve("same.bin")); // an alt file
        Files.createSymbolicLink(withLinks.resolve("near.bin"), outside.resolve("near.bin"));
        Files.createSymbolicLink(withLinks.resolve("sub"), outside.resolve("sub")); // a directory on the way
        String before = TreeSnapshot.of(outside).entries().toString();
        Run r = rsync(ourUrl("m/new"), "-ai", option.replace("ABSOLUTE", outside.toString()));
        assertEquals(0, r.exit(), r.output() + ourLog);
        ReceiveStats s = lastSession().stats();
        assertEquals(3, s.transferredFiles, r.output());
        assertTrue(s.literalBytes >= 3L * BIG, "an outside file served as basis: literal " + s.literalBytes);
        assertEquals(0, s.linkedFiles + s.copiedFiles, r.output());
        assertEquals(before, TreeSnapshot.of(outside).entries().toString(), "nothing may change outside");
        for (String f : List.of("same.bin", "sub/same.bin")) {
            Path placed = ourModule.resolve("new/" + f);
            assertTrue(Files.isRegularFile(placed, LinkOption.NOFOLLOW_LINKS), f);
            assertNotEquals(inode(outside.resolve(f)), inode(placed), f + " is a link of the outside file");
            assertEquals(1, Files.getAttribute(outside.resolve(f), "unix:nlink"), f);
        }
    }

    @Test
    @Timeout(60)
    void theSameFilesInsideTheModuleAreLinked() throws Exception {
        startConfined(); // the escapes' control: an alt dir inside the module with the files outside's
        Path alt = Files.createDirectories(ourModule.resolve("alt"));
        Files.copy(src.resolve("same.bin"), alt.resolve("same.bin"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Run r = rsync(ourUrl("m/new"), "-a", "--link-dest=/alt");
        assertEquals(0, r.exit(), r.output() + ourLog);
        assertEquals(inode(alt.resolve("same.bin")), inode(ourModule.resolve("new/same.bin")));
        assertEquals(1, lastSession().stats().linkedFiles);
    }
}
