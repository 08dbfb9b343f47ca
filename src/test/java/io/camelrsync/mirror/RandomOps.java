package io.camelrsync.mirror;

import io.camelrsync.testing.NameBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The file operations of the conformance runs, drawn from a seeded Random and done at the speed a program does them.
 * The sequence of operations depends on the seed alone (never on timing or on the mirror), so a seed replays the
 * same sequence; how the mirror's batches fall between them does not replay exactly.
 *
 * <p>Names are bytes: besides plain ones, names with spaces, newlines, glob and filter-rule characters, 255-byte
 * names and names that are not valid UTF-8. The last are made through {@link NameBytes#child} (a file: URI), since
 * a Java String cannot hold them.
 */
final class RandomOps {
    /** Every kind of operation, with its weight in the draw. */
    enum Op {
        CREATE(9), OVERWRITE(5), APPEND(4), TRUNCATE(2), CHMOD(3), MTIME(3), DELETE(4), RENAME_FILE(5), MKDIR_DEEP(3),
        RENAME_DIR_THEN_WRITE(6), DELETE_TREE(3), MOVE_OUT(2), MOVE_IN(2), COPY_TREE(2), LINK(4), SLOW_WRITE(2),
        TYPE_CHANGE(10), SAME_SECOND_REWRITE(4), UNREADABLE(2), DEEP_40(1), LONG_PATH(1), ODD_NAMES_DIR(2);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }
    }

    private static final String[] PLAIN = {"a", "b", "data.bin", "notes.txt", "ünï", "日本", "x y", "-dash",
        ".hid"};
    /** Names a shell, a file list, a change set or a filter rule could split or misread. */
    private static final String[] ODD = {" lead", "trail ", " ", "two  sp", "new\nline", "\nfirst", "tab\tx",
        "cr\rx", "back\\slash", "star*", "q?", "br[ac]ket", "+ plus", "- minus", "! bang", "hash#", "pct%41",
        "colon:x", "quote'\"", "dollar$HOME", "~tilde", "semi;x", "emoji😀", "dots...", "R x", "P y", "**"};
    /** Not UTF-8: Latin-1, stray bytes, a truncated sequence, an overlong '/', a UTF-16 surrogate in UTF-8 form. */
    private static final byte[][] NOT_UTF8 = {bytes("lat1-", 0xe9, 't', 0xe9), bytes("bad-", 0xff, 0xfe),
        bytes("trunc-", 0xc3), bytes("overlong-", 0xc0, 0xaf), bytes("surr-", 0xed, 0xa0, 0x80), bytes("", 0x80)};
    /** Longest absolute path an operation may create: Linux stops at 4096 and rsync's names at MAXPATHLEN. */
    private static final int MAX_PATH = 3800;

    private final Random rnd;
    private final Path src;
    private final Path outside;
    private final Path dst;
    private final boolean notUtf8;
    private final boolean backslash;
    private final List<Op> ops;
    private final boolean unreadableWorks;
    private final int total;
    private final List<String> log = new ArrayList<>();
    private final Map<String, Integer> counts = new TreeMap<>();
    private final long waitMillis;
    private final long epochMillis = System.currentTimeMillis();
    private volatile boolean mirrorRunning;
    private int step;

    /**
     * @param dst the mirror's target directory, to wait for a path to arrive there before the next change
     * @param skip operations never drawn (Op names, any case, '-' for '_'), and name classes never drawn:
     *     "not-utf8", "backslash" (to look past a known fault; a different skip draws a different sequence)
     * @param waitMillis how long an operation waits for the mirror before going on regardless
     */
    RandomOps(long seed, Path src, Path outside, Path dst, Set<String> skip, long waitMillis) {
        this.rnd = new Random(seed);
        this.src = src;
        this.outside = outside;
        this.dst = dst;
        this.notUtf8 = !skip.contains("not-utf8");
        this.backslash = !skip.contains("backslash");
        this.ops = Arrays.stream(Op.values()).filter(o -> !skip.contains(o.name().toLowerCase().replace('_', '-')))
                .toList();
        this.waitMillis = waitMillis;
        this.total = ops.stream().mapToInt(o -> o.weight).sum();
        this.unreadableWorks = chmod000StopsReads(outside);
    }

    /** From now on an operation may wait for the mirror to carry a step before the next one. */
    void mirrorStarted() {
        mirrorRunning = true;
    }

    /** When the log's clock started (its lines carry milliseconds since). */
    long epochMillis() {
        return epochMillis;
    }

    List<String> log() {
        return log;
    }

    Map<String, Integer> counts() {
        return counts;
    }

    boolean unreadableWorks() {
        return unreadableWorks;
    }

    /** One random operation (some are several steps: a change followed by more writes). */
    void step() throws InterruptedException {
        step++;
        Tree t = Tree.of(src);
        int r = rnd.nextInt(total);
        Op op = null;
        for (Op o : ops) {
            if ((r -= o.weight) < 0) {
                op = o;
                break;
            }
        }
        counts.merge(op.name(), 1, Integer::sum);
        try {
            run(op, t);
        } catch (IOException | UncheckedIOException e) {
            // a random operation can be impossible (a directory moved into itself, a name taken): not a mirror fault
            note("  (impossible: " + e + ")");
        }
        if (rnd.nextInt(4) == 0) {
            Thread.sleep(rnd.nextInt(30));
        }
    }

    private void run(Op op, Tree t) throws IOException, InterruptedException {
        Path dir = t.anyDir(rnd);
        Path file = t.anyFile(rnd);
        Path regular = t.anyRegular(rnd);
        Path subdir = t.anySubdir(rnd);
        switch (op) {
            case CREATE -> write("create", fresh(dir), rnd.nextInt(3) == 0 ? 100_000 : 2000);
            case OVERWRITE -> {
                if (regular != null) {
                    write("overwrite", regular, 3000);
                }
            }
            case APPEND -> {
                if (regular != null) {
                    append(regular, 500);
                }
            }
            case TRUNCATE -> {
                if (regular != null) {
                    int len = rnd.nextInt(100);
                    note("truncate " + rel(regular) + " to " + len);
                    try (var ch = Files.newByteChannel(regular, StandardOpenOption.WRITE)) {
                        ch.truncate(len);
                    }
                }
            }
            case CHMOD -> {
                if (regular != null) {
                    String perms = rnd.nextBoolean() ? "rw-r-----" : "rwxr-xr-x";
                    note("chmod " + perms + " " + rel(regular));
                    Files.setPosixFilePermissions(regular, PosixFilePermissions.fromString(perms));
                }
            }
            case MTIME -> {
                if (regular != null) {
                    FileTime time = FileTime.fromMillis(1_000_000_000_000L + rnd.nextInt(1_000_000) * 1000L);
                    note("touch -d " + time + " " + rel(regular));
                    Files.setLastModifiedTime(regular, time);
                }
            }
            case DELETE -> {
                if (file != null) {
                    note("rm " + rel(file));
                    Files.delete(file);
                }
            }
            case RENAME_FILE -> {
                if (file != null) {
                    Path to = fresh(rnd.nextBoolean() ? file.getParent() : dir); // within its directory, or across
                    note("mv " + rel(file) + " " + rel(to));
                    Files.move(file, to);
                    if (rnd.nextBoolean() && Files.isRegularFile(to, LinkOption.NOFOLLOW_LINKS)) {
                        append(to, 300); // written at its new name
                    }
                }
            }
            case MKDIR_DEEP -> {
                Path deep = fresh(dir).resolve("p/q");
                note("mkdir -p " + rel(deep));
                Files.createDirectories(deep);
                write("create", deep.resolve("leaf"), 700);
            }
            case RENAME_DIR_THEN_WRITE -> renameDirThenWrite(subdir, dir);
            case DELETE_TREE -> {
                if (subdir != null) {
                    note("rm -rf " + rel(subdir));
                    deleteTree(subdir);
                }
            }
            case MOVE_OUT -> {
                if (subdir != null) {
                    Path away = outside.resolve("out" + rnd.nextInt(1_000_000));
                    note("mv " + rel(subdir) + " out of the tree");
                    Files.move(subdir, away);
                }
            }
            case MOVE_IN -> {
                Path made = Files.createDirectories(outside.resolve("in" + rnd.nextInt(1_000_000) + "/k"));
                Files.write(made.resolve("inner"), bytes(rnd, 900));
                Path to = fresh(dir);
                note("mv (a tree from outside) " + rel(to));
                Files.move(made.getParent(), to);
            }
            case COPY_TREE -> {
                if (subdir != null) {
                    Path to = fresh(dir);
                    if (!to.startsWith(subdir) && fits(to, subdir)) {
                        note("cp -r " + rel(subdir) + " " + rel(to));
                        copyTree(subdir, to);
                    }
                }
            }
            case LINK -> {
                if (file != null) {
                    Path link = fresh(dir);
                    if (rnd.nextBoolean()) {
                        symlink(link, file);
                    } else if (regular != null) {
                        note("ln " + rel(regular) + " " + rel(link));
                        Files.createLink(link, regular);
                    }
                }
            }
            case SLOW_WRITE -> {
                Path p = fresh(dir);
                note("write slowly " + rel(p));
                try (OutputStream out = Files.newOutputStream(p)) {
                    for (int i = 0; i < 4; i++) {
                        out.write(bytes(rnd, 300));
                        out.flush();
                        Thread.sleep(15);
                    }
                }
            }
            case TYPE_CHANGE -> typeChange(t, dir, subdir, regular);
            case SAME_SECOND_REWRITE -> sameSecondRewrite(regular != null && rnd.nextBoolean() ? regular : fresh(dir));
            case UNREADABLE -> {
                // As root chmod 000 stops no read, so rsync would send the file like any other: nothing to test.
                if (regular != null && unreadableWorks) {
                    note("chmod 000 " + rel(regular) + " (unreadable: rsync leaves it out with exit 23)");
                    Files.setPosixFilePermissions(regular, PosixFilePermissions.fromString("---------"));
                }
            }
            case DEEP_40 -> {
                Path p = fresh(dir);
                for (int i = 0; i < 40; i++) {
                    p = p.resolve("d" + i);
                }
                if (fits(p, null)) {
                    note("mkdir -p (40 levels) " + rel(p));
                    Files.createDirectories(p);
                    write("create", p.resolve("bottom"), 500);
                }
            }
            case LONG_PATH -> {
                Path p = dir;
                while (NameBytes.of(p).length - NameBytes.of(src).length < 1100) {
                    p = NameBytes.child(p, longName());
                }
                if (fits(p, null)) {
                    note("mkdir -p (" + (NameBytes.of(p).length - NameBytes.of(src).length) + " bytes, 255-byte names) "
                            + rel(p));
                    Files.createDirectories(p);
                    write("create", NameBytes.child(p, longName()), 500);
                }
            }
            case ODD_NAMES_DIR -> {
                Path d = fresh(dir);
                note("mkdir " + rel(d) + " and files with odd names in it");
                Files.createDirectory(d);
                for (int i = 0; i < 6; i++) {
                    Path p = child(d, oddName(i % 3 == 2 && notUtf8));
                    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                        write("create", p, 300);
                    }
                }
                if (rnd.nextBoolean()) {
                    await(() -> synced(d));
                    try (Stream<Path> kids = Files.list(d)) {
                        for (Path k : kids.toList()) {
                            append(k, 100); // more writes to names that are now on the target
                        }
                    }
                }
            }
        }
    }

    /**
     * A directory renamed (beside itself, into another directory, or deep below a new one), and then written INTO at
     * its new path: an existing file anywhere in its tree changed, a new file and a new subdirectory. inotify keeps
     * the directory's watches across the rename, and the JDK's WatchService keys keep the OLD path. Either the
     * rename is mirrored first and the writes come after, or ("hot") the tree has events pending when it is renamed
     * and is written again at once: the watcher may still resolve those events against the old path.
     */
    private void renameDirThenWrite(Path subdir, Path dir) throws IOException, InterruptedException {
        if (subdir == null) {
            return;
        }
        Path inside = anyRegularBelow(subdir);
        if (inside == null) {
            inside = subdir.resolve("inside" + rnd.nextInt(50));
            write("create", inside, 800);
        }
        boolean hot = rnd.nextInt(3) == 0;
        if (hot) {
            append(inside, 100);
        } else {
            await(() -> synced(subdir));
        }
        Path to = switch (rnd.nextInt(3)) {
            case 0 -> fresh(subdir.getParent()); // renamed within its directory
            case 1 -> fresh(dir); // moved across
            default -> {
                Path deep = fresh(dir).resolve("m/n/o");
                note("mkdir -p " + rel(deep));
                Files.createDirectories(deep);
                yield fresh(deep); // moved deep
            }
        };
        if (to.startsWith(subdir) || !fits(to, subdir)) {
            return;
        }
        Path insideNow = to.resolve(subdir.relativize(inside));
        note("mv " + rel(subdir) + " " + rel(to) + (hot ? " (hot)" : ""));
        Files.move(subdir, to);
        if (!hot) {
            await(() -> synced(to)); // the rename has reached the target: what follows are events of its own
        }
        write("overwrite", insideNow, 1500);
        write("create", to.resolve("new" + rnd.nextInt(50)), 600);
        Path sub = Files.createDirectories(to.resolve("sub" + rnd.nextInt(50)));
        write("create", sub.resolve("f"), 400);
        if (rnd.nextBoolean()) {
            Path renamed = fresh(insideNow.getParent());
            note("mv " + rel(insideNow) + " " + rel(renamed));
            Files.move(insideNow, renamed);
        }
    }

    /** A path changes type, in each direction, and is then written again. */
    private void typeChange(Tree t, Path dir, Path subdir, Path regular) throws IOException, InterruptedException {
        boolean settle = rnd.nextBoolean(); // let the old type reach the target first, or change it within one batch
        switch (rnd.nextInt(6)) {
            case 0 -> { // dir -> file
                if (subdir == null) {
                    return;
                }
                settleFirst(settle, subdir);
                note("rm -rf " + rel(subdir) + "; a file in its place");
                deleteTree(subdir);
                write("create", subdir, 1200);
                settleFirst(rnd.nextBoolean(), subdir);
                append(subdir, 400);
            }
            case 1 -> { // file -> dir
                if (regular == null) {
                    return;
                }
                settleFirst(settle, regular);
                note("rm " + rel(regular) + "; a directory in its place");
                Files.delete(regular);
                Files.createDirectory(regular);
                write("create", regular.resolve("x"), 700);
                Path y = Files.createDirectory(regular.resolve("y"));
                write("create", y.resolve("z"), 300);
                settleFirst(rnd.nextBoolean(), regular);
                append(regular.resolve("x"), 200);
            }
            case 2 -> { // dir -> symlink
                if (subdir == null) {
                    return;
                }
                settleFirst(settle, subdir);
                Path target = t.anyDir(rnd);
                note("rm -rf " + rel(subdir) + "; a symlink in its place");
                deleteTree(subdir);
                if (target.startsWith(subdir) || rnd.nextInt(3) == 0) {
                    symlinkTo(subdir, Path.of("../nowhere" + rnd.nextInt(10))); // dangling
                } else {
                    symlink(subdir, target);
                    // written through the link: the event comes from the real directory, never from below the link
                    write("create (through the symlink)", subdir.resolve("via" + rnd.nextInt(50)), 300);
                }
                write("create", fresh(subdir.getParent()), 300);
            }
            case 3 -> { // symlink -> dir
                Path link = t.anySymlink(rnd);
                if (link == null) {
                    return;
                }
                settleFirst(settle, link);
                note("rm " + rel(link) + " (a symlink); a directory in its place");
                Files.delete(link);
                Files.createDirectory(link);
                write("create", link.resolve("x"), 500);
                settleFirst(rnd.nextBoolean(), link);
                Path sub = Files.createDirectory(link.resolve("sub"));
                write("create", sub.resolve("y"), 500);
                append(link.resolve("x"), 100);
            }
            case 4 -> { // file -> symlink
                if (regular == null) {
                    return;
                }
                settleFirst(settle, regular);
                Path target = t.anyRegular(rnd);
                note("rm " + rel(regular) + "; a symlink in its place");
                Files.delete(regular);
                if (target == null || target.equals(regular)) {
                    symlinkTo(regular, Path.of("gone" + rnd.nextInt(10)));
                } else {
                    symlink(regular, target);
                    append(target, 200); // the target written, never the link
                }
                write("create", fresh(regular.getParent()), 300);
            }
            default -> { // a hard link broken by a copy over one of its names
                if (regular == null) {
                    return;
                }
                Path partner = fresh(regular.getParent());
                note("ln " + rel(regular) + " " + rel(partner));
                Files.createLink(partner, regular);
                settleFirst(settle, partner);
                if (rnd.nextBoolean()) {
                    Path tmp = partner.resolveSibling(".cp-tmp" + rnd.nextInt(1000));
                    note("cp (new content) over " + rel(partner) + " by a temp file and a rename");
                    Files.write(tmp, bytes(rnd, 2000));
                    Files.move(tmp, partner, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    note("cp --remove-destination (new content) over " + rel(partner));
                    Files.delete(partner);
                    Files.write(partner, bytes(rnd, 2000));
                }
                append(regular, 300); // the old inode written: its content must not reach the broken-off name
                append(partner, 100);
            }
        }
    }

    /**
     * N bytes written and mirrored, then N other bytes with the mtime set back to the first write's: size and
     * mtime both unchanged, so only a transfer that ignores rsync's quick check carries the second version.
     */
    private void sameSecondRewrite(Path p) throws IOException, InterruptedException {
        int n = 1 + rnd.nextInt(4000);
        byte[] first = bytes(rnd, n, n);
        note("write " + n + " bytes to " + rel(p) + ", wait until mirrored, rewrite " + n
                + " other bytes, mtime set back");
        Files.write(p, first);
        FileTime mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
        await(() -> synced(p));
        byte[] second = bytes(rnd, n, n);
        second[0] = (byte) ~first[0]; // never the same content by chance
        Files.write(p, second);
        Files.setLastModifiedTime(p, mtime);
    }

    /** When asked, waits until {@code p} is on the target as it is in the source. */
    private void settleFirst(boolean settle, Path p) throws InterruptedException {
        if (settle) {
            await(() -> synced(p));
        }
    }

    /**
     * Waits (while the mirror runs) until the condition holds, at most waitMillis: the operations go on either way,
     * and the final comparison judges. Returns whether it held.
     */
    private boolean await(BooleanSupplier condition) throws InterruptedException {
        if (!mirrorRunning) {
            return false;
        }
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                note("  (not on the target within " + waitMillis + " ms; going on)");
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** {@code p} is on the target with the same type, and for a regular file the same bytes. */
    private boolean synced(Path p) {
        Path there = dst.resolve(src.relativize(p));
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return Files.isDirectory(there, LinkOption.NOFOLLOW_LINKS);
            }
            if (Files.isSymbolicLink(p)) {
                return Files.isSymbolicLink(there) && Files.readSymbolicLink(p).equals(Files.readSymbolicLink(there));
            }
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                return Files.isRegularFile(there, LinkOption.NOFOLLOW_LINKS)
                        && Arrays.equals(Files.readAllBytes(p), Files.readAllBytes(there));
            }
            return !Files.exists(there, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return false; // changing under us: look again
        }
    }

    private void write(String what, Path p, int max) throws IOException {
        byte[] b = bytes(rnd, max);
        note(what + " " + rel(p) + " (" + b.length + " bytes)");
        Files.write(p, b);
    }

    private void append(Path p, int max) throws IOException {
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        byte[] b = bytes(rnd, max);
        note("append " + b.length + " bytes to " + rel(p));
        Files.write(p, b, StandardOpenOption.APPEND);
    }

    private void symlink(Path link, Path target) throws IOException {
        symlinkTo(link, link.getParent().relativize(target)); // relative, as the tree is mirrored elsewhere
    }

    private void symlinkTo(Path link, Path target) throws IOException {
        note("ln -s " + NameBytes.printable(NameBytes.key(NameBytes.linkTarget(target))) + " " + rel(link));
        Files.createSymbolicLink(link, target);
    }

    /** A fresh name in {@code dir}: plain, odd, 255 bytes long, or (when enabled) not UTF-8. */
    private Path fresh(Path dir) {
        int kind = rnd.nextInt(20);
        byte[] name;
        if (kind < 12) {
            name = (PLAIN[rnd.nextInt(PLAIN.length)] + rnd.nextInt(50)).getBytes(StandardCharsets.UTF_8);
        } else if (kind < 19) {
            name = oddName(kind == 18 && notUtf8);
        } else {
            name = longName();
        }
        return child(dir, name);
    }

    private byte[] oddName(boolean notUtf8Name) {
        String suffix = String.valueOf(rnd.nextInt(50));
        if (notUtf8Name) {
            return concat(NOT_UTF8[rnd.nextInt(NOT_UTF8.length)], suffix.getBytes(StandardCharsets.US_ASCII));
        }
        String odd = ODD[rnd.nextInt(ODD.length)];
        if (!backslash) {
            odd = odd.replace('\\', '_');
        }
        return (rnd.nextBoolean() ? odd + suffix : suffix + odd).getBytes(StandardCharsets.UTF_8);
    }

    /** Exactly 255 bytes (NAME_MAX), in one-, two- or three-byte characters, never a character cut in two. */
    private byte[] longName() {
        String unit = new String[] {"L", "é", "日"}[rnd.nextInt(3)];
        String suffix = "-" + rnd.nextInt(50);
        StringBuilder sb = new StringBuilder();
        int budget = 255 - suffix.length();
        int unitLen = unit.getBytes(StandardCharsets.UTF_8).length;
        for (int len = 0; len + unitLen <= budget; len += unitLen) {
            sb.append(unit);
        }
        while (sb.toString().getBytes(StandardCharsets.UTF_8).length < budget) {
            sb.append('x');
        }
        return sb.append(suffix).toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Path child(Path dir, byte[] name) {
        return NameBytes.child(dir, name);
    }

    /** Whether {@code to}, and (when moving or copying a tree there) everything below it, stays under MAX_PATH. */
    private boolean fits(Path to, Path tree) throws IOException {
        int base = NameBytes.of(to).length;
        if (tree == null) {
            return base + 300 < MAX_PATH;
        }
        int treeBase = NameBytes.of(tree).length;
        int deepest = 0;
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                deepest = Math.max(deepest, NameBytes.of(p).length - treeBase);
            }
        }
        return base + deepest + 300 < MAX_PATH;
    }

    /** A regular file anywhere below {@code dir}, drawn in byte order of the names (null when there is none). */
    private Path anyRegularBelow(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> Map.entry(NameBytes.of(p), p))
                    .sorted((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey())).map(Map.Entry::getValue).toList();
        }
        return files.isEmpty() ? null : files.get(rnd.nextInt(files.size()));
    }

    private String rel(Path p) {
        return "'" + (p.startsWith(src) ? abbreviated(NameBytes.printable(NameBytes.key(NameBytes.relative(src, p))))
                : p) + "'";
    }

    /** A line for humans: a run of 16 or more of one character (the 255-byte names) as its first one and a count. */
    static String abbreviated(String line) {
        return RUN.matcher(line).replaceAll(m -> m.group(1) + "…×"
                + m.group().codePointCount(0, m.group().length()));
    }

    private static final java.util.regex.Pattern RUN = java.util.regex.Pattern.compile("(\\X)\\1{15,}");

    private void note(String line) {
        log.add(String.format("%6d %d: %s", System.currentTimeMillis() - epochMillis, step, line));
    }

    /** Whether chmod 000 stops this process reading a file (not as root, whom permission bits do not stop). */
    private static boolean chmod000StopsReads(Path scratch) {
        try {
            Path probe = Files.createTempFile(scratch, "probe", "");
            Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("---------"));
            try (InputStream in = Files.newInputStream(probe)) {
                in.read();
                return false;
            } catch (AccessDeniedException e) {
                return true;
            } finally {
                Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rw-------"));
                Files.delete(probe);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(x);
            }
        }
    }

    /** cp -r (symlinks as symlinks); names stay Paths throughout, as a String would lose bytes that are not UTF-8. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path x : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(x));
                if (Files.isDirectory(x, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(x, dest, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static byte[] bytes(Random rnd, int max) {
        return bytes(rnd, 0, max);
    }

    private static byte[] bytes(Random rnd, int min, int max) {
        byte[] b = new byte[min + rnd.nextInt(max - min + 1)];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] bytes(String prefix, int... tail) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        byte[] b = Arrays.copyOf(p, p.length + tail.length);
        for (int i = 0; i < tail.length; i++) {
            b[p.length + i] = (byte) tail[i];
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The source tree as the draw sees it: every entry by kind, in byte order. */
    private record Tree(List<Path> dirs, List<Path> files, List<Path> regulars, List<Path> symlinks) {
        static Tree of(Path src) {
            List<Path> all;
            try (Stream<Path> walk = Files.walk(src)) {
                // sorted by name bytes, each computed once: readdir's order is the file system's, not the seed's
                all = walk.skip(1).map(p -> Map.entry(NameBytes.of(p), p))
                        .sorted((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey())).map(Map.Entry::getValue)
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<Path> dirs = new ArrayList<>(List.of(src));
            List<Path> files = new ArrayList<>();
            List<Path> regulars = new ArrayList<>();
            List<Path> symlinks = new ArrayList<>();
            for (Path p : all) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                } else {
                    files.add(p);
                    if (Files.isSymbolicLink(p)) {
                        symlinks.add(p);
                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        regulars.add(p);
                    }
                }
            }
            return new Tree(dirs, files, regulars, symlinks);
        }

        Path anyDir(Random rnd) {
            return dirs.get(rnd.nextInt(dirs.size()));
        }

        Path anySubdir(Random rnd) {
            return dirs.size() > 1 ? dirs.get(1 + rnd.nextInt(dirs.size() - 1)) : null;
        }

        Path anyFile(Random rnd) {
            return files.isEmpty() ? null : files.get(rnd.nextInt(files.size()));
        }

        Path anyRegular(Random rnd) {
            return regulars.isEmpty() ? null : regulars.get(rnd.nextInt(regulars.size()));
        }

        Path anySymlink(Random rnd) {
            return symlinks.isEmpty() ? null : symlinks.get(rnd.nextInt(symlinks.size()));
        }
    }
}
