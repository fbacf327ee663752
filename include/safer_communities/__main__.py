from safer_communities.cli import main

main()
