// The edgesync Worker: stateless routing, auth and upgrade forwarding in front of one
// Durable Object per document.
import { createApp } from "./app";
import { cancelUnreadBody } from "./body";
import { notFound, onError } from "./errors";
import { answerOtherMethods } from "./methods";
import { health } from "./routes/health";
import { docs } from "./routes/docs";
import { sync } from "./routes/sync";

export { DocumentObject } from "../durable-objects/document-object";

const app = createApp();
app.use(cancelUnreadBody);
app.route("/", health);
app.route("/", sync);
app.route("/", docs);
answerOtherMethods(app);
app.notFound(notFound);
app.onError(onError);

export default app;
