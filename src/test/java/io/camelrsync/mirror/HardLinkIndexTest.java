package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The names of linked files, on real files: filed by the start-up walk, by events, and completed by walks. */
class HardLinkIndexTest {
    @TempDir
    Path work;

    @Test
    void namesComeFromTheWalkEventsAndACompletingWalk() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/x/y"));
        Path root = work.resolve("src");
        Files.writeString(root.resolve("a"), "a");
        Files.createLink(root.resolve("x/y/b"), root.resolve("a"));
        Files.writeString(root.resolve("lonely"), "one name");
        HardLinkIndex links = index(root);

        Object key = key(root.resolve("a"));
        assertEquals(Set.of("a", "x/y/b"), links.names(List.of(key)), "filed by the start-up walk");

        // a name deleted: the event still leads to the group it was in
        Files.delete(root.resolve("x/y/b"));
        assertEquals(Set.of(key), links.seen("x/y/b", null, 0));
        assertEquals(Set.of("a"), links.names(List.of(key)));

        // a link made to a file no event named: the event names the new one, the walk finds the old
        Object lonely = key(root.resolve("lonely"));
        Files.createLink(src.resolve("c"), root.resolve("lonely"));
        assertEquals(Set.of(lonely), links.seen("x/y/c", lonely, 2));
        assertEquals(Set.of("lonely", "x/y/c"), links.names(List.of(lonely)));

        // a name replaced by another file leaves the group
        Files.delete(src.resolve("c"));
        Files.writeString(src.resolve("c"), "new file");
        assertEquals(Set.of(lonely), links.seen("x/y/c", key(src.resolve("c")), 1));
        assertEquals(Set.of("lonely"), links.names(List.of(lonely)));
    }

    @Test
    void aTreeListedWholeBringsItsFilesOtherNames() throws Exception {
        Path root = Files.createDirectories(work.resolve("src"));
        Files.writeString(root.resolve("a"), "a");
        HardLinkIndex links = index(root);
        Files.createDirectories(root.resolve("new/deep"));
        Files.createLink(root.resolve("new/deep/b"), root.resolve("a"));
        Set<Object> keys = links.walkTree("new");
        assertEquals(Set.of(key(root.resolve("a"))), keys);
        assertEquals(Set.of("a", "new/deep/b"), links.names(keys));
    }

    @Test
    void tooManyNamesGiveUp() throws Exception {
        Path root = Files.createDirectories(work.resolve("src"));
        for (int i = 0; i < 3; i++) {
            Files.writeString(root.resolve("f" + i), "f");
            Files.createLink(root.resolve("g" + i), root.resolve("f" + i));
        }
        HardLinkIndex links = new HardLinkIndex();
        links.setSource(root.toString());
        links.setMaxNames(4);
        DirectoryIndex dirs = new DirectoryIndex();
        dirs.setSource(root.toString());
        dirs.setHardLinks(links);
        dirs.rebuild();
        assertNull(links.names(List.of(key(root.resolve("f0")))), "past its bound the index knows nothing");
        dirs.rebuild(); // a rebuild tries again, and meets the same bound
        assertNull(links.names(List.of(key(root.resolve("f1")))));
    }

    private static HardLinkIndex index(Path root) {
        HardLinkIndex links = new HardLinkIndex();
        links.setSource(root.toString());
        DirectoryIndex dirs = new DirectoryIndex();
        dirs.setSource(root.toString());
        dirs.setHardLinks(links);
        dirs.rebuild();
        return links;
    }

    private static Object key(Path p) throws Exception {
        return Files.readAttributes(p, "unix:fileKey", LinkOption.NOFOLLOW_LINKS).get("fileKey");
    }
}
