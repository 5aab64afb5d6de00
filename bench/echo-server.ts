/**
 * The baseline for the system benchmark: a bare express endpoint that parses
 * the same JSON body as the web chat and echoes it. Whatever this machine can
 * do per second over HTTP with express is the ceiling siratu is compared to.
 */
import express from 'express';

const app = express();
app.use(express.json({ limit: '16kb' }));
app.post('/echo', (req, res) => {
  const body = req.body as { text?: unknown };
  res.json({ replies: [{ text: typeof body.text === 'string' ? body.text : '' }] });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
