// The edgesync Worker: stateless routing, auth and upgrade forwarding in front of one
// Durable Object per document.
import { createApp } from "./app";
import { cancelUnreadBody } from "./body";
import { restCors } from "./cors";
import { notFound, onError } from "./errors";
import { answerOtherMethods } from "./methods";
import { health } from "./routes/health";
import { docs } from "./routes/docs";
import { hocuspocus } from "./hocuspocus/route";
import { socketRoute } from "./routes/socket";
import { muxRoute } from "./mux/route";

export { DocumentObject } from "../durable-objects/document-object";
export { EdgesyncRpc } from "./rpc/entrypoint";

const app = createApp();
app.use(cancelUnreadBody);
// Before the routes, so preflights are answered and every /v1 response (errors too) carries CORS.
app.use("/v1/*", restCors());
app.route("/", health);
app.route("/", socketRoute);
app.route("/", docs);
app.route("/", hocuspocus);
app.route("/", muxRoute(app));
answerOtherMethods(app);
app.notFound(notFound);
app.onError(onError);

export default app;
