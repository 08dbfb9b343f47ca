package io.camelrsync.mirror;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

/**
 * The mirror as camel-main runs it, for tests: application.properties plus overrides, the real
 * routes/*.camel.yaml of the repository, and one route per target from the mirror-target template.
 */
final class MirrorRun implements AutoCloseable {
    final CamelContext context;

    private MirrorRun(CamelContext context) {
        this.context = context;
    }

    static MirrorRun start(Map<String, String> overrides) throws Exception {
        MirrorRun run = new MirrorRun(build(overrides));
        run.context.start();
        return run;
    }

    /** A context with the mirror's routes, not yet started. */
    static CamelContext build(Map<String, String> overrides) throws Exception {
        // no camel-main here, so no embedded HTTP server for the status page's platform-http routes
        Map<String, String> withoutPage = new java.util.HashMap<>(Map.of("mirror.status.enabled", "false"));
        withoutPage.putAll(overrides);
        Map<String, String> settings = MirrorSettings.load(withoutPage);
        List<MirrorTargets.Target> targets = MirrorTargets.of(settings);
        Properties props = new Properties();
        props.putAll(settings);
        MirrorTargets.properties(targets).forEach((k, v) -> {
            if (!k.startsWith("camel.")) {
                props.put(k, v);
            }
        });
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.getPropertiesComponent().setOverrideProperties(props);
        for (String file : List.of("mirror.camel.yaml", "daemon.camel.yaml")) {
            PluginHelper.getRoutesLoader(ctx).loadRoutes(ResourceHelper.resolveMandatoryResource(ctx,
                    "file:" + Path.of("routes", file).toAbsolutePath()));
        }
        for (MirrorTargets.Target t : targets) {
            TemplatedRouteBuilder.builder(ctx, "mirror-target").routeId(t.routeId())
                    .parameter("name", t.name()).parameter("label", t.label()).parameter("target", t.uri()).add();
        }
        return ctx;
    }

    WatchGuard guard() {
        return context.getRegistry().lookupByNameAndType("watchGuard", WatchGuard.class);
    }

    @Override
    public void close() {
        context.stop();
    }
}
