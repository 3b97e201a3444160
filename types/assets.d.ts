// Files imported `with { type: "file" }` resolve to a path: on disk when run
// from source, inside the executable (/$bunfs/...) when compiled.
declare module "*.bin" {
  const path: string;
  export default path;
}
