import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createClient, type StorefrontConfig } from './client';
import './styles.css';

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    const response = await fetch('/config.json');
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    const config = (await response.json()) as StorefrontConfig;
    root.render(
      <StrictMode>
        <ApolloProvider client={createClient(config)}>
          <App />
        </ApolloProvider>
      </StrictMode>,
    );
  } catch (error) {
    root.render(<p className="problem">The store could not start: {error instanceof Error ? error.message : String(error)}</p>);
  }
}

void start();
