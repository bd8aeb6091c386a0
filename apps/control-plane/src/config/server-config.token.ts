/** Injection token of the parsed ServerConfig (the only place configuration comes from). */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
