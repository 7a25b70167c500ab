// @pinbridge/sdk: pinbridge's application API from TypeScript.
export * from "./api/client.js";
export * from "./connect.js";
