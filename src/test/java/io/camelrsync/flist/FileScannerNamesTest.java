package io.camelrsync.flist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.NameBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner on real files whose names and link targets are not UTF-8. */
class FileScannerNamesTest {
    @TempDir
    Path work;

    /**
     * A symlink whose target is not UTF-8 and names a directory: java.nio.file's URI of such a link ends in "/",
     * which made readlink follow it (EINVAL), fail the listing of its directory from there on, and flag an I/O
     * error that stopped every deletion of the push.
     */
    @Test
    void aLinkToADirectoryWhoseTargetIsNotUtf8IsListedWithItsBytes() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        byte[] dirName = "trunc-\303".getBytes(StandardCharsets.ISO_8859_1);
        Files.createDirectories(NameBytes.child(src, dirName).resolve("k"));
        Path target = src.relativize(NameBytes.child(src, dirName).resolve("k"));
        Files.createSymbolicLink(src.resolve("a-link"), target);
        Files.createSymbolicLink(src.resolve("b-dangling"), Path.of("nowhere"));
        Files.writeString(src.resolve("z-after"), "listed after the links");
        List<String> warnings = new ArrayList<>();
        FileScanner.TreeWalk walk = new FileScanner(src, "", PathFilter.NONE, warnings::add).startTree();
        Map<String, FileEntry> listed = new HashMap<>();
        walk.forEach(e -> listed.put(e.path, e));

        assertEquals(List.of(), warnings);
        assertEquals(0, walk.ioError());
        assertArrayEquals("trunc-\303/k".getBytes(StandardCharsets.ISO_8859_1), listed.get("a-link").linkTarget);
        assertTrue(listed.containsKey("b-dangling") && listed.containsKey("z-after"), listed.keySet().toString());
    }
}
