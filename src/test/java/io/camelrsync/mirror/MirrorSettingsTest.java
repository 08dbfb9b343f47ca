package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layers of the mirror's settings, each over the one before. */
class MirrorSettingsTest {
    @TempDir
    Path work;

    @Test
    void fileThenEnvironmentThenSystemPropertiesThenCommandLine() throws Exception {
        Path file = Files.writeString(work.resolve("m.properties"), "mirror.quiet-ms = 11\nmirror.max-age-ms = 12\n"
                + "mirror.move-wait-ms = 13\nmirror.daemon.port = 9000\ncamel.main.name = file\n");
        Map<String, String> env = Map.of("MIRROR_MAX_AGE_MS", "22", "MIRROR_MOVE_WAIT_MS", "23",
                "MIRROR_NOT_A_KEY", "ignored");
        Properties system = new Properties();
        system.setProperty("mirror.move-wait-ms", "33");
        system.setProperty("mirror.daemon.port", "9333");
        system.setProperty("user.home", "/not/a/mirror/key");
        Map<String, String> s = MirrorSettings.load(Map.of(MirrorSettings.CONFIG, file.toString(),
                "mirror.daemon.port", "9444"), env, system);
        assertEquals("11", s.get("mirror.quiet-ms"), "the file over application.properties");
        assertEquals("22", s.get("mirror.max-age-ms"), "the environment over the file");
        assertEquals("33", s.get("mirror.move-wait-ms"), "-D over the environment");
        assertEquals("9444", s.get("mirror.daemon.port"), "the command line over -D");
        assertEquals("rsync://127.0.0.1:9444/mirror", s.get("mirror.targets"), "placeholders see the winner");
        assertEquals("file", s.get("camel.main.name"));
        assertEquals(null, s.get("mirror.not-a-key"));
        assertEquals(null, s.get("user.home"));
        assertEquals("1h", MirrorSettings.load(Map.of(), Map.of(), new Properties()).get("mirror.verify-interval"));
    }
}
