package io.camelrsync.mirror;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.main.Main;

/**
 * Runs the mirror with camel-main: its layered settings (MirrorSettings), the target routes made from the
 * mirror-target template, and routes/*.camel.yaml (the routes/ directory next to the jar when there is one, watched
 * so an edit applies while the mirror runs; else the copy inside the jar).
 */
public final class MirrorMain {
    private static final String ROUTES = "camel.main.routes-include-pattern";
    private static final String DEFAULT_ROUTES = "classpath:io/camelrsync/mirror/routes/*.camel.yaml";
    private MirrorMain() {
    }

    /** Runs until the JVM is asked to stop (Ctrl-C, SIGTERM). */
    public static void run(Map<String, String> overrides, PrintStream out) throws Exception {
        create(overrides, out).run();
    }

    /** A camel-main ready to start (or run): the embedded default prepared, the target routes configured. */
    public static Main create(Map<String, String> overrides, PrintStream out) throws Exception {
        Map<String, String> settings = MirrorSettings.load(overrides);
        // camel-main gets the same layered settings every other part read (file, environment, -D, command line)
        Map<String, String> props = new LinkedHashMap<>(settings);
        boolean daemon = Boolean.parseBoolean(settings.get("mirror.daemon.enabled"));
        if (daemon) {
            out.println(EmbeddedTarget.prepare(settings)); // before the syncs: a relay reads the daemon's config
        }
        List<MirrorSyncs.Sync> syncs = MirrorSyncs.of(settings);
        props.putAll(MirrorSyncs.properties(syncs));
        props.put("mirror.sources", MirrorSyncs.sources(syncs));
        if (DEFAULT_ROUTES.equals(props.get(ROUTES))) { // a pattern of the user's own (more routes) stays theirs
            Path dir = routesDirectory(settings.get("mirror.routes-directory"));
            props.put(ROUTES, dir != null ? "file:" + dir + "/*.camel.yaml" : DEFAULT_ROUTES);
            if (dir != null && Boolean.parseBoolean(settings.getOrDefault("mirror.routes-reload", "true"))) {
                // an edited route file is loaded again while the mirror runs: the routes it defines are replaced
                // (same ids), the start-up sync route among them, so a full sync follows every reload
                props.putIfAbsent("camel.main.routes-reload-enabled", "true");
                props.putIfAbsent("camel.main.routes-reload-directory", dir.toString());
                props.putIfAbsent("camel.main.routes-reload-pattern", "*.camel.yaml");
                props.putIfAbsent("camel.main.routes-reload-remove-all-routes", "false");
            }
        }
        for (MirrorSyncs.Sync s : syncs) {
            for (MirrorSyncs.Target t : s.targets()) {
                out.println("camel-rsync mirror: " + (syncs.size() > 1 ? s.name() + ": " : "")
                        + (s.relay() != null ? "relay of module " + s.relay() + " (" + s.source() + ")" : s.source())
                        + " -> " + t.label());
            }
        }
        Main main = new Main();
        props.forEach(main::addOverrideProperty);
        for (MirrorSyncs.Sync s : syncs) {
            MirrorSyncs.bind(s, main::bind);
        }
        main.bind("mirrorReload", new MirrorReload()); // each sync's routes follow a reload of their templates
        return main;
    }

    /**
     * mirror.routes-directory when set, else routes/ under camelrsync.home (set by bin/camel-rsync) when there is
     * one, else null (the routes inside the jar).
     */
    static Path routesDirectory(String configured) {
        String home = System.getProperty("camelrsync.home");
        Path dir = configured != null && !configured.isBlank() ? Path.of(configured)
                : home == null ? null : Path.of(home, "routes");
        return dir != null && Files.isDirectory(dir) ? dir.toAbsolutePath() : null;
    }
}
