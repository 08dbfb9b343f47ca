package io.camelrsync.mirror;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's route reload replaces the routes an edited file defines, but not the routes made from its templates.
 * After a reload this makes each sync's routes again from the reloaded templates (each watch last: its start sends
 * the full sync that follows every reload). The target routes are kept: a target may be in the middle of a push
 * or of its retries, and its change set must not be dropped; an edited mirror-target applies at the next start.
 */
public class MirrorReload extends EventNotifierSupport {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorReload.class);
    private static final String KEPT = "mirror-target";

    public MirrorReload() {
        setIgnoreCamelContextEvents(true);
        setIgnoreExchangeEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.RouteReloadedEvent;
    }

    @Override
    public void notify(CamelEvent event) throws Exception {
        if (event instanceof CamelEvent.RouteReloadedEvent e && e.getIndex() == e.getTotal()) {
            remake(e.getRoute().getCamelContext());
        }
    }

    private static void remake(CamelContext ctx) throws Exception {
        ModelCamelContext model = (ModelCamelContext) ctx;
        List<String[]> watches = new ArrayList<>();
        List<String[]> others = new ArrayList<>();
        for (Route r : ctx.getRoutes()) {
            RouteDefinition def = model.getRouteDefinition(r.getRouteId());
            Object sync = def == null || def.getTemplateParameters() == null ? null
                    : def.getTemplateParameters().get("sync");
            String suffix = "-" + sync;
            if (!r.isCreatedByRouteTemplate() || sync == null || !r.getRouteId().endsWith(suffix)) {
                continue;
            }
            // MirrorSyncs names each sync's routes TEMPLATE-SYNC
            String template = r.getRouteId().substring(0, r.getRouteId().length() - suffix.length());
            if (model.getRouteTemplateDefinition(template) != null && !template.equals(KEPT)) {
                (template.equals("mirror-watch") ? watches : others).add(new String[] {r.getRouteId(), template});
            }
        }
        List<String[]> all = new ArrayList<>(others);
        all.addAll(watches);
        for (String[] route : all) {
            RouteDefinition def = model.getRouteDefinition(route[0]);
            Map<String, Object> params = new HashMap<>(def.getTemplateParameters());
            ctx.getRouteController().stopRoute(route[0]);
            ctx.removeRoute(route[0]);
            TemplatedRouteBuilder b = TemplatedRouteBuilder.builder(ctx, route[1]).routeId(route[0]);
            params.forEach(b::parameter);
            b.add();
        }
        LOG.info("made {} routes again from the reloaded templates", all.size());
    }
}
