from fleet import create_app

app = create_app()
