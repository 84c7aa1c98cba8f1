// Remote shell scripts are bundled as text by esbuild (loader '.sh': 'text').
declare module '*.sh' {
  const text: string;
  export default text;
}
