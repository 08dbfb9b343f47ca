package io.camelrsync.mirror;

import io.camelrsync.client.RsyncTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns mirror.targets into one route per target (the mirror-target template of routes/mirror.camel.yaml) and
 * the list of their queues that the watch route fans out to: the camel.route-template[...] properties camel-main
 * reads, and mirror.queues.
 */
public final class MirrorTargets {
    /** One target: its queue name, a label for logs, and the rsync endpoint URI it pushes with. */
    public record Target(String name, String label, String uri) {
        public String queue() {
            return "mirror-queue:" + name;
        }

        public String routeId() {
            return "mirror-target-" + name;
        }
    }

    private MirrorTargets() {
    }

    /**
     * The targets of {@code mirror.targets} (rsync endpoint URIs, commas between them), each with the source,
     * mirror.push-options and the mirror's exclude rules added.
     */
    public static List<Target> of(Map<String, String> settings) {
        String list = settings.getOrDefault("mirror.targets", "").strip();
        if (list.isEmpty()) {
            throw new IllegalArgumentException("mirror.targets is empty: name at least one rsync://host[:port]/module");
        }
        String source = settings.get("mirror.source");
        String common = settings.getOrDefault("mirror.push-options", "").strip();
        // the rules that keep events out also keep those paths out of (and undeleted on) the targets
        String excludes = settings.getOrDefault("mirror.excludes", "").strip();
        String excludeFrom = settings.getOrDefault("mirror.exclude-from", "").strip();
        List<Target> out = new ArrayList<>();
        for (String raw : list.split("\\s*,\\s*")) {
            if (raw.isBlank()) {
                continue;
            }
            int q = raw.indexOf('?');
            String address = q < 0 ? raw : raw.substring(0, q);
            RsyncTarget t = RsyncTarget.parse(address, RsyncTarget.DEFAULT_PORT); // fails early on a bad target
            StringBuilder uri = new StringBuilder(raw).append(q < 0 ? '?' : '&');
            uri.append("source=RAW(").append(source).append(')');
            if (!common.isEmpty()) {
                uri.append('&').append(common);
            }
            if (!excludes.isEmpty()) {
                uri.append("&excludes=RAW(").append(excludes).append(')');
            }
            if (!excludeFrom.isEmpty()) {
                uri.append("&excludeFrom=RAW(").append(Path.of(excludeFrom).toAbsolutePath()).append(')');
            }
            String label = t.host() + ":" + t.port() + "/" + t.moduleArg().replaceAll("/$", "");
            out.add(new Target(String.valueOf(out.size() + 1), label, uri.toString()));
        }
        return out;
    }

    /** The properties that make the routes of these targets: camel-main's route templates and mirror.queues. */
    public static Map<String, String> properties(List<Target> targets) {
        Map<String, String> p = new LinkedHashMap<>();
        List<String> queues = new ArrayList<>();
        for (Target t : targets) {
            String key = "camel.route-template[" + t.routeId() + "].";
            p.put(key + "template-id", "mirror-target");
            p.put(key + "name", t.name());
            p.put(key + "label", t.label());
            p.put(key + "target", t.uri());
            queues.add(t.queue());
        }
        p.put("mirror.queues", String.join(",", queues));
        return p;
    }
}
