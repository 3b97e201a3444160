// The part of cli-progress 3.12 (pinned in package.json) that blit uses.
declare module "cli-progress" {
  export interface Params {
    value: number;
    total: number;
  }
  export interface Options {
    format?: string | ((options: object, params: Params, payload: Record<string, unknown>) => string);
    stream?: NodeJS.WritableStream;
    fps?: number;
    hideCursor?: boolean;
    linewrap?: boolean;
    clearOnComplete?: boolean;
    /** Every frame drawn, its text changed or not. */
    forceRedraw?: boolean;
    noTTYOutput?: boolean;
    notTTYSchedule?: number;
    synchronousUpdate?: boolean;
  }
  export interface Terminal {
    cursorSave(): void;
    /** Shows (true) or hides the cursor. */
    cursor(enabled: boolean): void;
    cursorTo(x: number | null, y: number | null): void;
    clearLine(): void;
    lineWrapping(enabled: boolean): void;
    isTTY(): boolean;
    getWidth(): number;
  }
  export class SingleBar {
    constructor(options: Options, preset?: object);
    terminal: Terminal;
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    /** SingleBar's takes no force (GenericBar's does): see forceRedraw. */
    render(): void;
    stop(): void;
  }
}
