package io.camelrsync.mirror;

import java.nio.file.Path;
import java.util.HashMap;
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
 * routes/*.camel.yaml of the repository, and each sync's routes from the templates, with its beans.
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
        Map<String, String> withoutPage = new HashMap<>(Map.of("mirror.status.enabled", "false"));
        withoutPage.putAll(overrides);
        Map<String, String> settings = MirrorSettings.load(withoutPage);
        List<MirrorSyncs.Sync> syncs = MirrorSyncs.of(settings);
        Properties props = new Properties();
        props.putAll(settings);
        props.put("mirror.sources", MirrorSyncs.sources(syncs));
        Map<String, Map<String, String>> instances = new java.util.LinkedHashMap<>();
        MirrorSyncs.properties(syncs).forEach((k, v) -> {
            if (k.startsWith("camel.route-template[")) {
                String route = k.substring(k.indexOf('[') + 1, k.indexOf(']'));
                instances.computeIfAbsent(route, r -> new HashMap<>()).put(k.substring(k.indexOf("].") + 2), v);
            } else {
                props.put(k, v);
            }
        });
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.getPropertiesComponent().setOverrideProperties(props);
        for (MirrorSyncs.Sync s : syncs) {
            MirrorSyncs.bind(s, ctx.getRegistry()::bind);
        }
        for (String file : List.of("mirror.camel.yaml", "daemon.camel.yaml")) {
            PluginHelper.getRoutesLoader(ctx).loadRoutes(ResourceHelper.resolveMandatoryResource(ctx,
                    "file:" + Path.of("routes", file).toAbsolutePath()));
        }
        instances.forEach((route, params) -> {
            TemplatedRouteBuilder b = TemplatedRouteBuilder.builder(ctx, params.get("template-id")).routeId(route);
            params.forEach((k, v) -> {
                if (!k.equals("template-id")) {
                    b.parameter(k, v);
                }
            });
            b.add();
        });
        return ctx;
    }

    /** The watch guard of the one sync of mirror.source and mirror.targets. */
    WatchGuard guard() {
        return guard(MirrorSyncs.DEFAULT);
    }

    WatchGuard guard(String sync) {
        return context.getRegistry().lookupByNameAndType("watchGuard-" + sync, WatchGuard.class);
    }

    @Override
    public void close() {
        context.stop();
    }
}
