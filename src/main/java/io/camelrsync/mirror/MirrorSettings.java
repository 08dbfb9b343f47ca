package io.camelrsync.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mirror's settings, each layer over the one before: the mirror's application.properties (in this package), the file of
 * {@code mirror.config} (camel-rsync mirror --config FILE: the same keys, camel.* included), environment variables
 * named as Camel names them (mirror.daemon.port: MIRROR_DAEMON_PORT) for the keys those files have, system
 * properties (-Dmirror.daemon.port=...), then the command line. Every part of the mirror reads these (the
 * banner, the embedded target, the target routes, camel-main itself), so an override moves all of them at once.
 */
public final class MirrorSettings {
    /** The key of the properties file camel-rsync mirror --config names. */
    public static final String CONFIG = "mirror.config";
    /**
     * The mirror's defaults, inside the package: an app that embeds the component keeps its own
     * application.properties (src/main/resources/io/camelrsync/mirror/application.properties).
     */
    static final String DEFAULTS = "/io/camelrsync/mirror/application.properties";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^}]+)}}");

    private MirrorSettings() {
    }

    public static Map<String, String> load(Map<String, String> overrides) {
        return load(overrides, System.getenv(), System.getProperties());
    }

    static Map<String, String> load(Map<String, String> overrides, Map<String, String> env, Properties system) {
        Map<String, String> all = new LinkedHashMap<>();
        try (InputStream in = MirrorSettings.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the classpath");
            }
            putAll(all, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String config = overrides.getOrDefault(CONFIG, system.getProperty(CONFIG, env.get(envName(CONFIG))));
        if (config != null && !config.isBlank()) {
            try (InputStream in = Files.newInputStream(Path.of(config))) {
                putAll(all, in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the mirror's settings file " + config + ": " + e
                        .getMessage(), e);
            }
            all.put(CONFIG, config);
        }
        for (String key : List.copyOf(all.keySet())) {
            String v = env.get(envName(key));
            if (v != null) {
                all.put(key, v.strip());
            }
        }
        for (String key : system.stringPropertyNames()) {
            if (key.startsWith("mirror.") || key.startsWith("camel.")) {
                all.put(key, system.getProperty(key).strip());
            }
        }
        all.putAll(overrides);
        all.replaceAll((k, v) -> resolve(v, all, 0));
        return all;
    }

    /** Camel's environment variable for a property key: upper case, '.' and '-' as '_'. */
    static String envName(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static void putAll(Map<String, String> all, InputStream in) throws IOException {
        Properties p = new Properties();
        p.load(in);
        p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k).strip()));
    }

    /** Replaces {{key}} by its value, as Camel's property placeholders do. */
    static String resolve(String value, Map<String, String> all, int depth) {
        if (depth > 10) {
            throw new IllegalArgumentException("property placeholders nest too deep in: " + value);
        }
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = all.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("property placeholder {{" + m.group(1) + "}} has no value");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(resolve(v, all, depth + 1)));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
